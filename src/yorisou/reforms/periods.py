"""Reporting periods: codes (``FY2022``, ``FY2022-H1``, ``FY2022-Q3``), labels."""

import re
from datetime import date, timedelta

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yorisou.core.dates import fiscal_year_range, wareki_fiscal_year
from yorisou.reforms.constants import PeriodKind

_CODE = re.compile(r"^FY(?P<fy>\d{4})(?:-(?P<part>[HQ])(?P<n>\d))?$")
# Default deadline: this many days after the period ends.
DEFAULT_DEADLINE_DAYS = 30


def period_code(kind: str, fiscal_year: int, number: int = 0) -> str:
    """``FY2022`` for a year, ``FY2022-H1`` for a half, ``FY2022-Q3`` for a quarter."""
    if kind == PeriodKind.YEAR:
        return f"FY{fiscal_year}"
    prefix = "H" if kind == PeriodKind.HALF else "Q"
    return f"FY{fiscal_year}-{prefix}{number}"


def parse_period_code(code: str) -> tuple[str, int, int]:
    """``(kind, fiscal_year, number)`` of a period code; ``ValueError`` if invalid."""
    match = _CODE.match(code.strip().upper())
    if not match:
        raise ValueError(code)
    fy = int(match["fy"])
    part = match["part"]
    if part is None:
        return PeriodKind.YEAR.value, fy, 0
    number = int(match["n"])
    if part == "H" and number in (1, 2):
        return PeriodKind.HALF.value, fy, number
    if part == "Q" and 1 <= number <= 4:
        return PeriodKind.QUARTER.value, fy, number
    raise ValueError(code)


def period_dates(kind: str, fiscal_year: int, number: int = 0) -> tuple[date, date]:
    """First and last day of a period (fiscal years run April to March)."""
    start, end = fiscal_year_range(fiscal_year)
    if kind == PeriodKind.YEAR:
        return start, end
    months = 6 if kind == PeriodKind.HALF else 3
    first_month = 4 + months * (number - 1)  # counted from April
    year = fiscal_year + (first_month - 1) // 12
    month = (first_month - 1) % 12 + 1
    begin = date(year, month, 1)
    after_month = first_month + months
    after = date(fiscal_year + (after_month - 1) // 12, (after_month - 1) % 12 + 1, 1)
    return begin, after - timedelta(days=1)


def default_deadline(ends_on: date) -> date:
    """The reporting deadline used when none is given."""
    return ends_on + timedelta(days=DEFAULT_DEADLINE_DAYS)


def period_label(kind: str, fiscal_year: int, number: int = 0) -> str:
    """A period as people say it: 令和4年度 上半期 / FY2022 first half."""
    english = (get_language() or "ja").startswith("en")
    year = f"FY{fiscal_year}" if english else wareki_fiscal_year(fiscal_year)
    if kind == PeriodKind.YEAR:
        return year
    if kind == PeriodKind.HALF:
        part = _("first half") if number == 1 else _("second half")
    else:
        part = _("Q%(number)s") % {"number": number}
    return f"{year} {part}"
