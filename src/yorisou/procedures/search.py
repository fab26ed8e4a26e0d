"""Japanese search of the procedure catalogue (手続の検索).

A resident types 児童手当, じどうてあて, ジドウテアテ or ｼﾞﾄﾞｳﾃｱﾃ and expects the same
procedure; an older form may still say 國民健康保險. Two libraries do the Japanese
work, both under the Apache License 2.0 like Yorisou:

- OpenCC's ``t2jp`` table turns 旧字体 into 新字体 (國→国, 證→証, 濱→浜);
- SudachiPy with its small dictionary gives the kana reading of a text
  (児童手当 → じどうてあて, 要介護 → ようかいご).

``search_text_for`` builds ``Procedure.search_text``: four lines holding the
normalised name, the normalised keywords and the reading of each. ``search``
filters in the database (every query term, or its reading, must occur in
``search_text``) and ranks the few matches in Python.
"""

import functools
import threading
import unicodedata
from typing import Any

from django.db.models import Q, QuerySet

import opencc
from sudachipy import Dictionary, SplitMode

from yorisou.procedures.models import Procedure

# Queries are cut to this length: a search box needs no more, and the reading of
# a very long text is slow to compute.
MAX_QUERY_LENGTH = 100

# Joins the parts of ``search_text``. ``normalise`` turns every run of white space
# into one space and queries are split at spaces, so no query term holds it and a
# term never matches across two parts.
SEPARATOR = "\n"

# Characters given to Sudachi at once (at most 4 bytes each in UTF-8).
_READING_CHUNK = 4096

# Katakana ァ…ヶ and the iteration marks ヽヾ lie 0x60 above their hiragana.
_KATAKANA_TO_HIRAGANA = {
    code: code - 0x60 for code in (*range(0x30A1, 0x30F7), 0x30FD, 0x30FE)
}

# Rank of a match, best first: exact name, name starting with the query, name
# containing it, then the same three against the reading of the name, and last
# a match through the keywords only.
NAME_EXACT, NAME_PREFIX, NAME_CONTAINS = 0, 1, 2
READING_EXACT, READING_PREFIX, READING_CONTAINS = 3, 4, 5
KEYWORD = 6


def normalise(text: str) -> str:
    """The form in which stored text and queries are compared.

    NFKC (full-width ＡＢＣ and half-width ｼﾞﾄﾞｳ become ABC and ジドウ), 旧字体 to
    新字体, lower case, katakana to hiragana, and white space collapsed.
    """
    text = _shinjitai(unicodedata.normalize("NFKC", text))
    return " ".join(text.lower().translate(_KATAKANA_TO_HIRAGANA).split())


def reading(text: str) -> str:
    """The hiragana reading of *text*, normalised (児童手当 → じどうてあて).

    Latin letters and digits are read out too (dv → でぃーぶい, 3号 → さんごう);
    symbols stay as they are.
    """
    symbols, tokenizer = _symbols(), _tokenizer()
    text = _shinjitai(unicodedata.normalize("NFKC", text))
    words = []
    for word in text.split():
        # Sudachi refuses more than 49,149 bytes at once.
        for start in range(0, len(word), _READING_CHUNK):
            words.append(
                "".join(
                    morpheme.surface() if symbols(morpheme) else morpheme.reading_form()
                    for morpheme in tokenizer.tokenize(
                        word[start : start + _READING_CHUNK]
                    )
                )
            )
    return normalise(" ".join(words))


def search_text_for(*, name: str, keywords: str = "") -> str:
    """The searchable text of a procedure, stored in ``Procedure.search_text``."""
    return SEPARATOR.join(
        (normalise(name), normalise(keywords), reading(name), reading(keywords))
    )


def search(
    queryset: QuerySet[Procedure], query: str, *, limit: int = 50
) -> list[Procedure]:
    """Procedures of *queryset* that match *query*, best first (手続の検索).

    Every term of the query (split at spaces) must occur in the name, the keywords
    or their reading, as written or through its own reading, so that 児童手当,
    じどうてあて and ジドウテアテ find the same procedure. Matches are ranked by
    ``NAME_EXACT`` … ``KEYWORD``, then by the length of the name, then by code.
    An empty query finds nothing.
    """
    terms = normalise(query[:MAX_QUERY_LENGTH]).split()
    if not terms or limit <= 0:
        return []
    alternatives = [_alternatives(term) for term in terms]
    condition = Q()
    for options in alternatives:
        either = Q()
        for option in options:
            either |= Q(search_text__contains=option)
        condition &= either
    candidates = queryset.filter(condition).values_list(
        "pk", "code", "name", "search_text"
    )
    ranked = sorted(
        (_rank(search_text, terms, alternatives), len(name), code, pk)
        for pk, code, name, search_text in candidates
    )
    best = [pk for *_, pk in ranked[:limit]]
    found = queryset.filter(pk__in=best).in_bulk()
    return [found[pk] for pk in best if pk in found]


def _alternatives(term: str) -> tuple[str, ...]:
    """A query term and, if it differs, its reading.

    A single character is searched as written: the reading of one kanji is too
    short and too ambiguous (市 → し) to be worth matching inside readings.
    """
    if len(term) < 2:
        return (term,)
    sound = reading(term).replace(" ", "")
    return (term, sound) if sound and sound != term else (term,)


def _rank(
    search_text: str, terms: list[str], alternatives: list[tuple[str, ...]]
) -> int:
    """How well one procedure matches (``NAME_EXACT`` … ``KEYWORD``)."""
    parts = search_text.split(SEPARATOR)
    name = parts[0]
    name_reading = parts[2] if len(parts) > 2 else ""
    if name == " ".join(terms):
        return NAME_EXACT
    if all(term in name for term in terms):
        return NAME_PREFIX if name.startswith(terms[0]) else NAME_CONTAINS
    if not all(
        any(option in name or option in name_reading for option in options)
        for options in alternatives
    ):
        return KEYWORD
    first = alternatives[0]
    if len(terms) == 1 and name_reading in first:
        return READING_EXACT
    if any(name_reading.startswith(option) for option in first):
        return READING_PREFIX
    return READING_CONTAINS


@functools.cache
def _converter() -> Any:
    """OpenCC's 旧字体 → 新字体 table, loaded once per process."""
    return opencc.OpenCC("t2jp")


def _shinjitai(text: str) -> str:
    return str(_converter().convert(text)) if text else text


@functools.cache
def _dictionary() -> Any:
    """SudachiPy's small dictionary, loaded once per process."""
    return Dictionary(dict="small")


@functools.cache
def _symbols() -> Any:
    """Matches symbols and spaces, whose reading Sudachi gives as キゴウ."""
    return _dictionary().pos_matcher([("補助記号",), ("空白",)])


_per_thread = threading.local()


def _tokenizer() -> Any:
    """A tokenizer of this thread: a SudachiPy tokenizer must not be shared by
    threads that use it at the same time, and creating one is cheap."""
    tokenizer = getattr(_per_thread, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _dictionary().tokenizer(
            mode=SplitMode.C, fields={"surface", "pos", "reading_form"}
        )
        _per_thread.tokenizer = tokenizer
    return tokenizer
