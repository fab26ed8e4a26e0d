"""Date helpers for Japanese municipal administration.

This module is deliberately free of Django imports so that it can be used from
management commands, Celery tasks and plain scripts alike.  It provides:

* the Japanese fiscal year (会計年度, April–March, 地方自治法 §208),
* Japanese era (和暦) formatting from Meiji 6 (1873-01-01, the adoption of the
  Gregorian calendar) to Reiwa,
* a business-day calendar for a city hall: weekends, national holidays
  (including 振替休日 and 国民の休日, via :mod:`jpholiday`) and the municipal
  year-end closure of December 29 – January 3 (市の休日, 地方自治法 §4の2).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import jpholiday

__all__ = [
    "EARLIEST_SUPPORTED_DATE",
    "ERAS",
    "Era",
    "add_business_days",
    "business_days_between",
    "era_for",
    "fiscal_quarter",
    "fiscal_year",
    "fiscal_year_label",
    "fiscal_year_range",
    "is_business_day",
    "is_year_end_closure",
    "next_business_day",
    "parse_date_ja",
    "wareki",
    "wareki_fiscal_year",
    "wareki_year",
]

#: Month in which the Japanese fiscal year starts.
FISCAL_YEAR_START_MONTH = 4

#: Earliest date the era helpers accept (Meiji 6-01-01, Gregorian adoption).
EARLIEST_SUPPORTED_DATE = date(1873, 1, 1)

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era (元号) and the Gregorian date on which it began."""

    name_ja: str
    letter: str
    name_en: str
    start: date

    def year_of(self, gregorian_year: int) -> int:
        """Return the era year corresponding to *gregorian_year* (1 = 元年)."""
        return gregorian_year - self.start.year + 1


#: Supported eras, newest first.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", "Reiwa", date(2019, 5, 1)),
    Era("平成", "H", "Heisei", date(1989, 1, 8)),
    Era("昭和", "S", "Showa", date(1926, 12, 25)),
    Era("大正", "T", "Taisho", date(1912, 7, 30)),
    Era("明治", "M", "Meiji", date(1868, 1, 25)),
)

_WAREKI_STYLES = ("long", "short", "year")


def _as_date(d: date) -> date:
    """Return *d* as a plain :class:`date` (a ``datetime`` is truncated)."""
    if isinstance(d, datetime):
        return d.date()
    return d


# ---------------------------------------------------------------------------
# Fiscal year
# ---------------------------------------------------------------------------


def fiscal_year(d: date) -> int:
    """Return the Japanese fiscal year (April–March) that contains *d*.

    The fiscal year is named after the calendar year in which it starts, so
    2023-03-31 belongs to FY2022 and 2023-04-01 to FY2023.
    """
    d = _as_date(d)
    return d.year if d.month >= FISCAL_YEAR_START_MONTH else d.year - 1


def fiscal_year_range(fy: int) -> tuple[date, date]:
    """Return the first and last day (inclusive) of fiscal year *fy*.

    That is ``(April 1 of fy, March 31 of fy + 1)``.
    """
    return date(fy, FISCAL_YEAR_START_MONTH, 1), date(fy + 1, 3, 31)


def fiscal_quarter(d: date) -> int:
    """Return the fiscal quarter (1–4) that contains *d*.

    1 = April–June, 2 = July–September, 3 = October–December, 4 = January–March.
    """
    d = _as_date(d)
    return (d.month - FISCAL_YEAR_START_MONTH) % 12 // 3 + 1


# ---------------------------------------------------------------------------
# Japanese era (和暦)
# ---------------------------------------------------------------------------


def era_for(d: date) -> Era:
    """Return the era in force on *d*.

    Raises :class:`ValueError` for dates before 1873-01-01, when Japan still
    used the lunisolar calendar and Gregorian dates do not map cleanly.
    """
    d = _as_date(d)
    if d < EARLIEST_SUPPORTED_DATE:
        raise ValueError(
            f"dates before {EARLIEST_SUPPORTED_DATE.isoformat()} are not "
            f"supported: {d.isoformat()}"
        )
    for era in ERAS:
        if d >= era.start:
            return era
    raise AssertionError("unreachable: ERAS covers EARLIEST_SUPPORTED_DATE")


def wareki_year(d: date) -> tuple[Era, int]:
    """Return the era in force on *d* and the era year (1 for 元年)."""
    era = era_for(d)
    return era, era.year_of(d.year)


def _year_ja(year: int) -> str:
    """Format an era year number in Japanese, using 元 for the first year."""
    return "元" if year == 1 else str(year)


def wareki(d: date, *, style: str = "long") -> str:
    """Format *d* in the Japanese calendar.

    ``style`` is one of:

    * ``"long"`` (default): ``"令和5年5月1日"``; the first year of an era is
      written ``"令和元年5月1日"``;
    * ``"short"``: ``"R5.5.1"`` (first year ``"R1.5.1"``);
    * ``"year"``: ``"令和5年"`` (first year ``"令和元年"``).

    Raises :class:`ValueError` for an unknown style or a date before 1873.
    """
    if style not in _WAREKI_STYLES:
        raise ValueError(
            f"unknown wareki style {style!r}; expected one of {_WAREKI_STYLES}"
        )
    d = _as_date(d)
    era, year = wareki_year(d)
    if style == "short":
        return f"{era.letter}{year}.{d.month}.{d.day}"
    if style == "year":
        return f"{era.name_ja}{_year_ja(year)}年"
    return f"{era.name_ja}{_year_ja(year)}年{d.month}月{d.day}日"


def _fiscal_year_era(fy: int) -> tuple[Era, int]:
    """Return the era and era year used to name fiscal year *fy*.

    Administrative practice names a fiscal year after the era that is current
    at the end of calendar year *fy*, counted from that era's first year:
    FY1988 is 昭和63年度 (Heisei began only in January 1989), FY1989 is
    平成元年度, and FY2019 is 令和元年度 even though Reiwa began on
    2019-05-01.  This is equivalent to taking the era in force on the last day
    of the fiscal year, except that an era beginning between January 1 and
    March 31 of ``fy + 1`` does not rename the fiscal year already running.
    """
    era = era_for(date(fy, 12, 31))
    return era, era.year_of(fy)


def wareki_fiscal_year(fy: int, *, short: bool = False) -> str:
    """Name fiscal year *fy* in the Japanese calendar.

    FY2022 gives ``"令和4年度"`` (``"R4"`` with ``short=True``), FY2019 gives
    ``"令和元年度"`` (``"R1"``), FY2018 gives ``"平成30年度"`` and FY1988 gives
    ``"昭和63年度"``.
    """
    era, year = _fiscal_year_era(fy)
    if short:
        return f"{era.letter}{year}"
    return f"{era.name_ja}{_year_ja(year)}年度"


def fiscal_year_label(fy: int, *, language: str = "ja") -> str:
    """Return a human-readable label for fiscal year *fy*.

    ``language="ja"`` gives ``"令和4年度（2022年度）"`` and ``language="en"``
    gives ``"FY2022 (Reiwa 4)"``.  Region subtags are ignored (``"en-us"`` is
    treated as ``"en"``); other languages raise :class:`ValueError`.
    """
    primary = language.replace("_", "-").split("-", 1)[0].lower()
    if primary == "ja":
        return f"{wareki_fiscal_year(fy)}（{fy}年度）"
    if primary == "en":
        era, year = _fiscal_year_era(fy)
        return f"FY{fy} ({era.name_en} {year})"
    raise ValueError(f"unsupported language for fiscal year label: {language!r}")


# Dashes, slashes and dots people type between the parts of a date (NFKC has
# already turned full-width ones into their ASCII forms).
_DATE_SEPARATORS = str.maketrans(
    {"ー": "-", "－": "-", "−": "-", "‐": "-", "‑": "-", "–": "-", "—": "-", "、": "."}
)
_WESTERN_DATE = re.compile(
    r"(?P<y>\d{4})(?:[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?|(?P<md>\d{4}))"
)
_ERA_DATE = re.compile(
    r"(?P<era>令和|平成|昭和|大正|明治|[RHSTM])(?P<y>元|\d{1,2})[-/.年]"
    r"(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?",
    re.IGNORECASE,
)


def parse_date_ja(text: str) -> date:
    """Parse a date as people in Japan write it; the inverse of :func:`wareki`.

    Accepts the Japanese calendar (``"令和5年4月1日"``, ``"令和元年5月1日"``,
    ``"R5.4.1"``, ``"r5/4/1"``, ``"H31-4-30"``) and the Western calendar
    (``"2023-04-01"``, ``"2023/4/1"``, ``"2023年4月1日"``, ``"20230401"``),
    with full-width digits and letters, spaces and any kind of dash.

    An era date must lie within its era: ``"令和元年4月30日"`` and
    ``"平成31年5月1日"`` raise :class:`ValueError`, as do impossible dates,
    dates before 1873-01-01 (see :func:`era_for`) and anything else.
    """
    normal = unicodedata.normalize("NFKC", text).translate(_DATE_SEPARATORS)
    normal = "".join(normal.split())
    if match := _WESTERN_DATE.fullmatch(normal):
        year = int(match["y"])
        if match["md"]:
            month, day = int(match["md"][:2]), int(match["md"][2:])
        else:
            month, day = int(match["m"]), int(match["d"])
        try:
            parsed = date(year, month, day)
        except ValueError:
            raise ValueError(f"not a date: {text!r}") from None
        era_for(parsed)  # refuses dates before the Gregorian calendar
        return parsed
    if match := _ERA_DATE.fullmatch(normal):
        name = match["era"].upper()
        era = next(e for e in ERAS if name in (e.name_ja, e.letter))
        era_year = 1 if match["y"] == "元" else int(match["y"])
        if era_year < 1:
            raise ValueError(f"not a date: {text!r}")
        try:
            parsed = date(
                era.start.year + era_year - 1, int(match["m"]), int(match["d"])
            )
        except ValueError:
            raise ValueError(f"not a date: {text!r}") from None
        if era_for(parsed) != era:
            raise ValueError(f"{text!r} is not a date of the {era.name_en} era")
        return parsed
    raise ValueError(f"not a date: {text!r}")


# ---------------------------------------------------------------------------
# Business days
# ---------------------------------------------------------------------------


def is_year_end_closure(d: date) -> bool:
    """Return whether *d* falls in the year-end closure, December 29 – January 3.

    These days are 市の休日 under municipal ordinances made under 地方自治法
    §4の2, on top of weekends and national holidays.
    """
    d = _as_date(d)
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date) -> bool:
    """Return whether the city hall is open on *d*.

    Closed on Saturdays, Sundays, national holidays (including 振替休日 and
    国民の休日, as reported by :func:`jpholiday.is_holiday`) and during the
    year-end closure (December 29 – January 3).
    """
    d = _as_date(d)
    if d.weekday() >= 5 or is_year_end_closure(d):
        return False
    return not jpholiday.is_holiday(d)


def next_business_day(d: date) -> date:
    """Return *d* if it is a business day, otherwise the next business day."""
    d = _as_date(d)
    while not is_business_day(d):
        d += _ONE_DAY
    return d


def add_business_days(d: date, n: int) -> date:
    """Return the date *n* business days after (or, if negative, before) *d*.

    * ``n == 0``: *d* itself if it is a business day, else
      :func:`next_business_day`.
    * ``n > 0``: step forward one day at a time, counting only business days,
      until *n* have been counted.  *d* itself never counts, so one business
      day after a Saturday is the following Monday (if that is a business
      day).
    * ``n < 0``: the same, stepping backward.

    For ``n > 0``, ``business_days_between(d, add_business_days(d, n)) == n``.
    """
    d = _as_date(d)
    if n == 0:
        return next_business_day(d)
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if is_business_day(d):
            remaining -= 1
    return d


def business_days_between(start: date, end: date) -> int:
    """Count business days in the half-open interval ``(start, end]``.

    This answers "how many working days after *start* until *end*": *start*
    is excluded and *end* is included.  Returns 0 when ``end <= start``.
    """
    start, end = _as_date(start), _as_date(end)
    count = 0
    d = start + _ONE_DAY
    while d <= end:
        if is_business_day(d):
            count += 1
        d += _ONE_DAY
    return count
