"""Application reference numbers (受付番号) that people can read aloud on the phone.

A reference looks like ``2026-1128-7K4-F9Q-XM2``: the date of submission
(``YYYY-MMDD``), eight random symbols (40 bits from :mod:`secrets`) and one check
symbol, in groups of three. Symbols are Crockford's base 32 (digits and letters
without I, L, O and U), so a reference survives being read out, handwritten or
typed on a phone: :func:`normalise_reference` accepts lower case, full-width
characters, O for 0, I or L for 1, and any spaces or dashes.

The check symbol is Crockford's mod 37 check over the date and the random part.
37 is a prime larger than the alphabet, so every single wrong symbol and every
swap of two neighbouring symbols is detected. Crockford's five extra check
symbols ``* ~ $ = U`` are awkward to say and to put in a URL, so new references
draw their random part again until the check value is an ordinary symbol; that
costs a fifth of a bit of randomness.

References are unguessable, but they are not secrets: pages that show an
application must still check who is asking.
"""

import re
import secrets
import unicodedata
from datetime import date, datetime

__all__ = ["is_valid_reference", "new_reference", "normalise_reference"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
RANDOM_SYMBOLS = 8  # 40 bits
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's decoding: letters that look like digits are read as those digits.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Spaces and every dash people type, including the katakana prolonged sound mark
# that Japanese keyboards produce for "-" in kana mode.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー_.・]+")
_SHAPE = re.compile(
    rf"(?P<date>\d{{8}})(?P<random>[{ALPHABET}]{{{RANDOM_SYMBOLS}}})"
    rf"(?P<check>[{re.escape(CHECK_ALPHABET)}])"
)


def _check_value(symbols: str) -> int:
    """Crockford's check value: the base-32 number *symbols* modulo 37."""
    value = 0
    for symbol in symbols:
        value = (value * 32 + _VALUES[symbol]) % 37
    return value


def _format(compact: str) -> str:
    groups = [compact[:4], compact[4:8]]
    groups += [compact[i : i + 3] for i in range(8, len(compact), 3)]
    return "-".join(groups)


def new_reference(on: date) -> str:
    """A new reference for an application submitted *on* that day (pass the local
    date: ``timezone.localdate()``). Random, so the caller still needs a unique
    constraint and a retry on the rare collision."""
    if isinstance(on, datetime):
        on = on.date()
    day = on.strftime("%Y%m%d")
    while True:
        number = secrets.randbits(5 * RANDOM_SYMBOLS)
        random_part = "".join(
            ALPHABET[(number >> shift) & 31]
            for shift in range(5 * (RANDOM_SYMBOLS - 1), -1, -5)
        )
        check = _check_value(day + random_part)
        if check < len(ALPHABET):
            return _format(day + random_part + ALPHABET[check])


def normalise_reference(text: str) -> str:
    """The canonical form of a reference as typed by a person: ``2026-1128-7K4-…``.

    Text that does not have the shape of a reference comes back upper-cased and
    without separators, so it can be shown in an error message or searched for;
    :func:`is_valid_reference` says whether it is a real reference."""
    compact = unicodedata.normalize("NFKC", text).upper()
    compact = _SEPARATORS.sub("", compact).translate(_LOOK_ALIKES)
    if _SHAPE.fullmatch(compact):
        return _format(compact)
    return compact


def is_valid_reference(text: str) -> bool:
    """Whether *text* (as typed, see :func:`normalise_reference`) is a well-formed
    reference with a real date and a matching check symbol."""
    match = _SHAPE.fullmatch(normalise_reference(text).replace("-", ""))
    if match is None:
        return False
    day = match["date"]
    try:
        date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        return False
    expected = _check_value(day + match["random"])
    return CHECK_ALPHABET[expected] == match["check"]
