"""The report's underlying tables as an Excel workbook: one sheet per table, with
number formats, so staff can check every figure (XlsxWriter)."""

import io
import re

import xlsxwriter

from yorisou.reports.content import Report, Table

_BAD = re.compile(r"[\[\]:*?/\\]")
_OPTIONAL_DECIMALS = re.compile(r"\.0*#")


def _sheet_name(title: str, used: set[str]) -> str:
    base = _BAD.sub(" ", title).strip()[:28] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} ({n})"
        n += 1
    used.add(name.lower())
    return name


def render_xlsx(report: Report) -> bytes:
    """Every table of every page, and the data of every chart, one sheet each."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    formats: dict[str, object] = {}
    used: set[str] = set()
    cover = book.add_worksheet(_sheet_name("README", used))
    cover.write_string(0, 0, report.title, bold)
    cover.write_string(1, 0, report.organisation)
    cover.write_string(2, 0, report.period_label)
    cover.write_string(3, 0, report.generated_at.strftime("%Y-%m-%d %H:%M"))
    cover.set_column(0, 0, 60)
    for page in report.pages:
        tables = list(page.tables)
        for chart in page.charts:
            tables.append(
                Table(
                    title=chart.title,
                    columns=["", *[name for name, _values in chart.series]],
                    rows=[
                        [category, *[values[i] for _name, values in chart.series]]
                        for i, category in enumerate(chart.categories)
                    ],
                    formats=[None] + [chart.number_format] * len(chart.series),
                )
            )
        for table in tables:
            sheet = book.add_worksheet(_sheet_name(table.title or page.title, used))
            sheet.write_string(0, 0, page.title)
            for col, name in enumerate(table.columns):
                sheet.write_string(1, col, str(name), bold)
                sheet.set_column(col, col, 14 if col else 36)
            for r, row in enumerate(table.rows, start=2):
                for col, value in enumerate(row):
                    pattern = table.formats[col] if col < len(table.formats) else None
                    if pattern and _OPTIONAL_DECIMALS.search(pattern):
                        # Excel prints "2,248." for "#,##0.###": let it choose.
                        pattern = "General"
                    if value is None:
                        continue
                    if isinstance(value, (int, float)) or hasattr(value, "as_tuple"):
                        number = float(value)
                        if pattern == "0.0%":
                            number /= 100  # shares are kept as percentages
                        fmt = formats.setdefault(
                            pattern or "General",
                            book.add_format({"num_format": pattern or "General"}),
                        )
                        sheet.write_number(r, col, number, fmt)
                    else:
                        sheet.write_string(r, col, str(value))
            sheet.write_string(len(table.rows) + 3, 0, page.notes)
    book.close()
    return output.getvalue()
