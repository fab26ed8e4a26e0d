import datetime
import re

import pytest

from yorisou.eforms.references import (
    ALPHABET,
    is_valid_reference,
    new_reference,
    normalise_reference,
)

DAY = datetime.date(2026, 11, 28)
SHAPE = re.compile(
    r"2026-1128-[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}"
)


def _crockford_check(symbols: str) -> str:
    """The check symbol computed the slow, obvious way: the whole number mod 37."""
    number = int("".join(f"{ALPHABET.index(s):05b}" for s in symbols), 2)
    return (ALPHABET + "*~$=U")[number % 37]


def test_shape_and_validity():
    reference = new_reference(DAY)
    assert SHAPE.fullmatch(reference), reference
    assert is_valid_reference(reference)


def test_check_symbol_is_crockfords_mod_37():
    for _ in range(200):
        compact = new_reference(DAY).replace("-", "")
        assert compact[-1] == _crockford_check(compact[:-1])


def test_a_datetime_uses_its_date():
    reference = new_reference(datetime.datetime(2026, 11, 28, 23, 59))
    assert reference.startswith("2026-1128-")


def test_references_are_random():
    references = {new_reference(DAY) for _ in range(1000)}
    assert len(references) == 1000


def test_check_symbols_are_always_plain_symbols():
    """Crockford's extra check symbols (* ~ $ = U) never appear in new references."""
    checks = {new_reference(DAY)[-1] for _ in range(2000)}
    assert checks <= set(ALPHABET)
    assert len(checks) > 25


def _sample(n=60):
    return [new_reference(DAY) for _ in range(n)]


def test_every_single_symbol_error_is_caught():
    references = _sample()
    for reference in references:
        compact = reference.replace("-", "")
        for position in range(len(compact)):
            for symbol in ALPHABET:
                if symbol == compact[position]:
                    continue
                wrong = compact[:position] + symbol + compact[position + 1 :]
                assert not is_valid_reference(wrong), (reference, wrong)


def test_every_adjacent_transposition_is_caught():
    references = _sample()
    for reference in references:
        compact = reference.replace("-", "")
        for position in range(len(compact) - 1):
            a, b = compact[position], compact[position + 1]
            if a == b:
                continue
            swapped = compact[:position] + b + a + compact[position + 2 :]
            assert not is_valid_reference(swapped), (reference, swapped)


def test_a_missing_or_extra_symbol_is_invalid():
    reference = new_reference(DAY)
    assert not is_valid_reference(reference[:-1])
    assert not is_valid_reference(reference + "0")


@pytest.mark.parametrize(
    "typed",
    [
        "2026-1128-7k4-f9q-xm2",
        "2026 1128 7K4 F9Q XM2",
        "20261128 7K4F9QXM2",
        "２０２６－１１２８－７Ｋ４－Ｆ９Ｑ－ＸＭ２",
        "２０２６ー１１２８ー７ｋ４ーｆ９ｑーｘｍ２",
        " 2026‐1128−7K4–F9Q—XM2\n",
    ],
)
def test_normalise_accepts_what_people_type(typed):
    assert normalise_reference(typed) == "2026-1128-7K4-F9Q-XM2"


def test_normalise_reads_look_alike_letters_as_digits():
    assert normalise_reference("2O26-1128-OIL-F9Q-XM2") == "2026-1128-011-F9Q-XM2"
    assert normalise_reference("2o26-1i28-7k4-f9q-xm2") == "2026-1128-7K4-F9Q-XM2"


def test_look_alike_letters_still_validate():
    reference = new_reference(DAY)
    typed = reference.replace("0", "o").replace("1", "l").lower()
    assert is_valid_reference(typed)


def test_normalise_leaves_other_text_compact():
    assert normalise_reference("abc-def") == "ABCDEF"
    assert normalise_reference("") == ""


@pytest.mark.parametrize(
    "text",
    ["", "hello", "2026-1128", "2026-1128-7K4-F9Q-XMU2", "2026-1128-7K4-F9Q-X?2"],
)
def test_invalid_text(text):
    assert not is_valid_reference(text)


def test_impossible_date_is_invalid():
    # a correct check symbol over an impossible date (month 13)
    body = "20261328" + "7K4F9QXM"
    assert not is_valid_reference(body + _crockford_check(body))
    body = "20261128" + "7K4F9QXM"
    assert is_valid_reference(body + _crockford_check(body))
