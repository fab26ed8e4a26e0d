"""Tests for :mod:`yorisou.core.dates` (pure Python, no database)."""

from datetime import date, datetime, timedelta

import pytest

from yorisou.core import dates
from yorisou.core.dates import (
    EARLIEST_SUPPORTED_DATE,
    add_business_days,
    business_days_between,
    era_for,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_label,
    fiscal_year_range,
    is_business_day,
    next_business_day,
    wareki,
    wareki_fiscal_year,
    wareki_year,
)

# --------------------------------------------------------------------------
# Fiscal year
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2023, 3, 31), 2022),
        (date(2023, 4, 1), 2023),
        (date(2023, 1, 1), 2022),
        (date(2023, 12, 31), 2023),
        (datetime(2023, 3, 31, 23, 59), 2022),
    ],
)
def test_fiscal_year(d: date, expected: int) -> None:
    assert fiscal_year(d) == expected


def test_fiscal_year_range() -> None:
    assert fiscal_year_range(2022) == (date(2022, 4, 1), date(2023, 3, 31))
    assert fiscal_year_range(2023) == (date(2023, 4, 1), date(2024, 3, 31))


def test_fiscal_year_range_is_consistent_with_fiscal_year() -> None:
    start, end = fiscal_year_range(2023)
    assert fiscal_year(start) == 2023
    assert fiscal_year(end) == 2023
    assert fiscal_year(start - timedelta(days=1)) == 2022
    assert fiscal_year(end + timedelta(days=1)) == 2024


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2023, 4, 1), 1),
        (date(2023, 6, 30), 1),
        (date(2023, 7, 1), 2),
        (date(2023, 9, 30), 2),
        (date(2023, 10, 1), 3),
        (date(2023, 12, 31), 3),
        (date(2024, 1, 1), 4),
        (date(2024, 3, 31), 4),
    ],
)
def test_fiscal_quarter(d: date, expected: int) -> None:
    assert fiscal_quarter(d) == expected


# --------------------------------------------------------------------------
# Japanese era
# --------------------------------------------------------------------------


def test_era_change_heisei_to_reiwa() -> None:
    assert wareki(date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(date(2019, 4, 30), style="short") == "H31.4.30"
    assert wareki(date(2019, 5, 1), style="short") == "R1.5.1"
    assert wareki(date(2019, 5, 1), style="year") == "令和元年"


def test_era_change_showa_to_heisei() -> None:
    assert wareki(date(1989, 1, 7)) == "昭和64年1月7日"
    assert wareki(date(1989, 1, 8)) == "平成元年1月8日"
    assert wareki(date(1989, 1, 7), style="short") == "S64.1.7"
    assert wareki(date(1989, 1, 8), style="short") == "H1.1.8"


def test_earlier_era_changes() -> None:
    assert wareki(date(1926, 12, 24)) == "大正15年12月24日"
    assert wareki(date(1926, 12, 25)) == "昭和元年12月25日"
    assert wareki(date(1912, 7, 29)) == "明治45年7月29日"
    assert wareki(date(1912, 7, 30)) == "大正元年7月30日"
    assert wareki(EARLIEST_SUPPORTED_DATE) == "明治6年1月1日"


def test_wareki_styles() -> None:
    d = date(2023, 5, 1)
    assert wareki(d) == "令和5年5月1日"
    assert wareki(d, style="long") == "令和5年5月1日"
    assert wareki(d, style="short") == "R5.5.1"
    assert wareki(d, style="year") == "令和5年"
    assert wareki(datetime(2023, 5, 1, 9, 30)) == "令和5年5月1日"


def test_wareki_unknown_style() -> None:
    with pytest.raises(ValueError, match="style"):
        wareki(date(2023, 5, 1), style="medium")


def test_era_for_and_wareki_year() -> None:
    reiwa = era_for(date(2023, 5, 1))
    assert reiwa.name_ja == "令和"
    assert reiwa.letter == "R"
    assert reiwa.name_en == "Reiwa"
    assert reiwa.start == date(2019, 5, 1)
    assert wareki_year(date(2023, 5, 1)) == (reiwa, 5)
    heisei, year = wareki_year(date(2019, 4, 30))
    assert (heisei.name_en, year) == ("Heisei", 31)


def test_era_is_frozen() -> None:
    era = era_for(date(2023, 5, 1))
    with pytest.raises(AttributeError):
        era.letter = "X"


def test_before_1873_raises() -> None:
    with pytest.raises(ValueError):
        era_for(date(1872, 12, 31))
    with pytest.raises(ValueError):
        wareki(date(1872, 12, 31))
    with pytest.raises(ValueError):
        wareki(date(1868, 1, 25))
    with pytest.raises(ValueError):
        wareki_fiscal_year(1872)


@pytest.mark.parametrize(
    ("fy", "long", "short"),
    [
        (2022, "令和4年度", "R4"),
        (2019, "令和元年度", "R1"),
        (2018, "平成30年度", "H30"),
        (2020, "令和2年度", "R2"),
        (1989, "平成元年度", "H1"),
        (1988, "昭和63年度", "S63"),
    ],
)
def test_wareki_fiscal_year(fy: int, long: str, short: str) -> None:
    assert wareki_fiscal_year(fy) == long
    assert wareki_fiscal_year(fy, short=True) == short


def test_fiscal_year_label() -> None:
    assert fiscal_year_label(2022) == "令和4年度（2022年度）"
    assert fiscal_year_label(2022, language="ja") == "令和4年度（2022年度）"
    assert fiscal_year_label(2019, language="ja") == "令和元年度（2019年度）"
    assert fiscal_year_label(2022, language="en") == "FY2022 (Reiwa 4)"
    assert fiscal_year_label(2019, language="en") == "FY2019 (Reiwa 1)"
    assert fiscal_year_label(2018, language="en-us") == "FY2018 (Heisei 30)"


def test_fiscal_year_label_unknown_language() -> None:
    with pytest.raises(ValueError):
        fiscal_year_label(2022, language="fr")


# --------------------------------------------------------------------------
# Business days
# --------------------------------------------------------------------------


def test_weekends_are_closed() -> None:
    assert is_business_day(date(2023, 6, 9))  # Friday
    assert not is_business_day(date(2023, 6, 10))  # Saturday
    assert not is_business_day(date(2023, 6, 11))  # Sunday
    assert is_business_day(date(2023, 6, 12))  # Monday


def test_year_end_closure() -> None:
    assert is_business_day(date(2023, 12, 28))  # Thursday, 御用納め
    for day in (29, 30, 31):
        assert not is_business_day(date(2023, 12, day))
    for day in (1, 2, 3):
        assert not is_business_day(date(2024, 1, day))
    assert is_business_day(date(2024, 1, 4))  # Thursday, 御用始め
    # December 29, 2023 is a Friday and January 3, 2024 a Wednesday: closed
    # only because of the closure, not because of a weekend or holiday.
    assert date(2023, 12, 29).weekday() == 4
    assert date(2024, 1, 3).weekday() == 2
    assert dates.is_year_end_closure(date(2023, 12, 29))
    assert dates.is_year_end_closure(date(2024, 1, 3))
    assert not dates.is_year_end_closure(date(2023, 12, 28))
    assert not dates.is_year_end_closure(date(2024, 1, 4))


def test_golden_week_2023() -> None:
    assert not is_business_day(date(2023, 4, 29))  # Saturday, 昭和の日
    assert not is_business_day(date(2023, 4, 30))  # Sunday
    assert is_business_day(date(2023, 5, 1))  # Monday
    assert is_business_day(date(2023, 5, 2))  # Tuesday
    assert not is_business_day(date(2023, 5, 3))  # 憲法記念日
    assert not is_business_day(date(2023, 5, 4))  # みどりの日
    assert not is_business_day(date(2023, 5, 5))  # こどもの日
    assert not is_business_day(date(2023, 5, 6))  # Saturday
    assert not is_business_day(date(2023, 5, 7))  # Sunday
    assert is_business_day(date(2023, 5, 8))  # Monday


def test_national_holiday_on_weekday() -> None:
    assert date(2023, 3, 21).weekday() == 1
    assert not is_business_day(date(2023, 3, 21))  # 春分の日 (Tuesday)


def test_substitute_holidays() -> None:
    # 2023-01-02 (Monday) is 振替休日 for 元日 and inside the year-end closure.
    assert date(2023, 1, 2).weekday() == 0
    assert not is_business_day(date(2023, 1, 2))
    # 2024-02-12 (Monday) is 振替休日 for 建国記念の日 (Sunday 2024-02-11).
    assert date(2024, 2, 12).weekday() == 0
    assert not is_business_day(date(2024, 2, 12))
    assert is_business_day(date(2024, 2, 13))
    # 2024-05-06 (Monday) is 振替休日 for こどもの日 (Sunday 2024-05-05).
    assert not is_business_day(date(2024, 5, 6))


def test_reiwa_accession_holidays_2019() -> None:
    # 2019-04-30 and 2019-05-02 were 国民の休日, 2019-05-01 天皇の即位の日.
    for day in (date(2019, 4, 30), date(2019, 5, 1), date(2019, 5, 2)):
        assert not is_business_day(day)
    assert next_business_day(date(2019, 4, 27)) == date(2019, 5, 7)


def test_next_business_day() -> None:
    assert next_business_day(date(2023, 5, 2)) == date(2023, 5, 2)
    assert next_business_day(date(2023, 5, 3)) == date(2023, 5, 8)
    assert next_business_day(date(2023, 4, 29)) == date(2023, 5, 1)
    assert next_business_day(date(2023, 12, 29)) == date(2024, 1, 4)
    assert next_business_day(datetime(2023, 12, 29, 17, 0)) == date(2024, 1, 4)


def test_add_business_days_zero() -> None:
    assert add_business_days(date(2023, 5, 2), 0) == date(2023, 5, 2)
    assert add_business_days(date(2023, 5, 3), 0) == date(2023, 5, 8)
    assert add_business_days(date(2023, 12, 30), 0) == date(2024, 1, 4)


def test_add_business_days_across_golden_week() -> None:
    assert add_business_days(date(2023, 4, 28), 1) == date(2023, 5, 1)
    assert add_business_days(date(2023, 4, 28), 2) == date(2023, 5, 2)
    assert add_business_days(date(2023, 4, 28), 3) == date(2023, 5, 8)
    assert add_business_days(date(2023, 5, 2), 1) == date(2023, 5, 8)
    assert add_business_days(date(2023, 5, 8), -1) == date(2023, 5, 2)
    assert add_business_days(date(2023, 5, 8), -3) == date(2023, 4, 28)


def test_add_business_days_across_year_end() -> None:
    assert add_business_days(date(2023, 12, 28), 1) == date(2024, 1, 4)
    assert add_business_days(date(2023, 12, 27), 2) == date(2024, 1, 4)
    assert add_business_days(date(2024, 1, 4), -1) == date(2023, 12, 28)
    # 2025-01-04/05 fall on a weekend, so the office reopens on Monday the 6th.
    assert add_business_days(date(2024, 12, 27), 1) == date(2025, 1, 6)
    assert add_business_days(date(2025, 1, 6), -1) == date(2024, 12, 27)


def test_add_business_days_from_non_business_day() -> None:
    # Starting on a closed day: the start itself never counts.
    assert add_business_days(date(2023, 6, 10), 1) == date(2023, 6, 12)  # Sat
    assert add_business_days(date(2023, 6, 11), -1) == date(2023, 6, 9)  # Sun


def test_add_business_days_ten_days() -> None:
    # Two ordinary weeks in June 2023 (no holidays).
    assert add_business_days(date(2023, 6, 1), 10) == date(2023, 6, 15)
    assert add_business_days(date(2023, 6, 15), -10) == date(2023, 6, 1)


def test_business_days_between() -> None:
    assert business_days_between(date(2023, 4, 28), date(2023, 5, 8)) == 3
    assert business_days_between(date(2023, 12, 28), date(2024, 1, 4)) == 1
    assert business_days_between(date(2023, 12, 28), date(2024, 1, 3)) == 0
    assert business_days_between(date(2023, 6, 1), date(2023, 6, 15)) == 10
    assert business_days_between(date(2023, 6, 9), date(2023, 6, 12)) == 1


def test_business_days_between_empty_interval() -> None:
    assert business_days_between(date(2023, 6, 1), date(2023, 6, 1)) == 0
    assert business_days_between(date(2023, 6, 15), date(2023, 6, 1)) == 0


def test_business_days_between_inverts_add_business_days() -> None:
    start = date(2023, 3, 25)
    for n in range(1, 60):
        assert business_days_between(start, add_business_days(start, n)) == n


def test_fiscal_year_2023_business_day_count() -> None:
    # FY2023 (2023-04-01 .. 2024-03-31) has 366 days, of which 106 are
    # weekend days, 14 are weekday national holidays (05-03/04/05, 07-17,
    # 08-11, 09-18, 10-09, 11-03, 11-23, 01-01, 01-08, 02-12 振替休日, 02-23,
    # 03-20) and 3 more are weekday closure days (12-29, 01-02, 01-03):
    # 366 - 106 - 14 - 3 = 243.
    start, end = fiscal_year_range(2023)
    assert business_days_between(start - timedelta(days=1), end) == 243
