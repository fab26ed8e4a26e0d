from datetime import date

import pytest

from yorisou.core.dates import parse_date_ja, wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和5年4月1日", date(2023, 4, 1)),
        ("R5.4.1", date(2023, 4, 1)),
        ("r5.4.1", date(2023, 4, 1)),
        ("R5/4/1", date(2023, 4, 1)),
        ("R05-04-01", date(2023, 4, 1)),
        ("2023-04-01", date(2023, 4, 1)),
        ("2023/4/1", date(2023, 4, 1)),
        ("2023.4.1", date(2023, 4, 1)),
        ("2023年4月1日", date(2023, 4, 1)),
        ("20230401", date(2023, 4, 1)),
        ("令和５年４月１日", date(2023, 4, 1)),
        ("２０２３／０４／０１", date(2023, 4, 1)),
        ("Ｒ５．４．１", date(2023, 4, 1)),
        ("2023ー4ー1", date(2023, 4, 1)),
        (" 令和 5 年 4 月 1 日 ", date(2023, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R1.5.1", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S60.4.1", date(1985, 4, 1)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("明治6年1月1日", date(1873, 1, 1)),
        ("令和6年2月29日", date(2024, 2, 29)),
    ],
)
def test_parse_date_ja_accepts(text, expected):
    assert parse_date_ja(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "令和",
        "2023-02-30",
        "令和5年2月29日",
        "2023-13-01",
        "令和0年1月1日",
        "令和元年4月30日",  # before Reiwa began
        "平成31年5月1日",  # Heisei had ended
        "H31.5.1",
        "昭和64年1月8日",
        "平成元年1月7日",
        "明治5年12月31日",  # before the Gregorian calendar
        "1872-12-31",
        "X5.4.1",
        "2023-04-01T10:00",
    ],
)
def test_parse_date_ja_refuses(text):
    with pytest.raises(ValueError):
        parse_date_ja(text)


@pytest.mark.parametrize(
    "day", [date(1873, 1, 1), date(1926, 12, 25), date(2019, 5, 1), date(2024, 3, 31)]
)
def test_parse_date_ja_reads_what_wareki_writes(day):
    assert parse_date_ja(wareki(day)) == day
    assert parse_date_ja(wareki(day, style="short")) == day
