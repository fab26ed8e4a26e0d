"""The report as a PowerPoint deck (python-pptx): a cover slide, then one 16:9
slide per page with real tables, native (editable) charts and the notes as
speaker notes."""

import io
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from pptx import Presentation
from pptx.chart.chart import Chart as PptxChart
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.presentation import Presentation as Deck
from pptx.slide import Slide
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

from yorisou.reports.content import Chart, Number, Page, Report, Table

LATIN_FONT = "Meiryo"
EA_FONT = "Meiryo"

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.4)
GAP = Inches(0.25)
MIN_ROW = Pt(12)
MAX_ROW = Pt(26)

CHART_TYPES = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "stacked_bar": XL_CHART_TYPE.BAR_STACKED,
    "stacked_column": XL_CHART_TYPE.COLUMN_STACKED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}

_DECIMALS = re.compile(r"0\.(0*)(#*)")


def format_number(value: Any, pattern: str | None) -> str:
    """``value`` as text per an Excel-style ``pattern``: ``#,##0`` adds thousands
    separators, ``0.0`` gives one decimal; with ``%`` the value is already a
    percentage (57.9 → ``57.9%``). Text and ``None`` pass through."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if not pattern:
        return str(value)
    match = _DECIMALS.search(pattern)
    required = len(match.group(1)) if match else 0
    optional = len(match.group(2)) if match else 0
    comma = "," if "," in pattern else ""
    number = value if isinstance(value, Decimal) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        return str(value)
    text = format(number, f"{comma}.{required + optional}f")
    if optional:  # "0.0##": drop trailing zeros beyond the required decimals
        whole, _dot, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(required, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # no "-0.0"
    return text + ("%" if "%" in pattern else "")


def chart_number_format(pattern: str) -> str:
    """An Office number format that shows the value as is: a ``%`` in the
    pattern means the value is already a percentage, so it becomes a literal."""
    return pattern.replace("%", '"%"') if "%" in pattern else pattern


def _set_font(font: Font, size: float | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian typeface (``a:latin`` + ``a:ea``) so PowerPoint uses a
    Japanese font for kana and kanji."""
    font.name = LATIN_FONT
    rpr = font._rPr
    for old in rpr.findall(qn("a:ea")):
        rpr.remove(old)
    ea = OxmlElement("a:ea")
    ea.set("typeface", EA_FONT)
    latin = rpr.find(qn("a:latin"))
    if latin is not None:
        latin.addnext(ea)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold


def _fill_text(
    frame: TextFrame,
    lines: Sequence[str],
    size: float,
    *,
    bold: bool = False,
    align: PP_ALIGN | None = None,
    space_after: float = 0,
) -> None:
    frame.word_wrap = True
    for i, line in enumerate(lines or [""]):
        paragraph = (
            frame.paragraphs[0] if i == 0 else frame.add_paragraph()  # type: ignore[no-untyped-call]
        )
        if align is not None:
            paragraph.alignment = align
        if space_after:
            paragraph.space_after = Pt(space_after)
        run = paragraph.add_run()
        run.text = line
        _set_font(run.font, size, bold)


def _text_box(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    lines: Sequence[str],
    size: float,
    **kwargs: Any,
) -> None:
    box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
    _fill_text(box.text_frame, lines, size, **kwargs)


def _footer(slide: Slide, number: int, total: int) -> None:
    _text_box(
        slide,
        SLIDE_WIDTH - MARGIN - Inches(1.5),
        SLIDE_HEIGHT - Inches(0.45),
        Inches(1.5),
        Inches(0.35),
        [f"{number} / {total}"],
        10,
        align=PP_ALIGN.RIGHT,
    )


def _grid(
    count: int, left: int, top: int, width: int, height: int
) -> list[tuple[int, int, int, int]]:
    """``count`` non-overlapping cells: side by side up to three, else rows of
    two (or three)."""
    if count <= 0:
        return []
    cols = count if count <= 3 else (2 if count == 4 else 3)
    rows = math.ceil(count / cols)
    cell_w = (width - GAP * (cols - 1)) // cols
    cell_h = (height - GAP * (rows - 1)) // rows
    return [
        (
            left + (i % cols) * (cell_w + GAP),
            top + (i // cols) * (cell_h + GAP),
            cell_w,
            cell_h,
        )
        for i in range(count)
    ]


def _add_table(slide: Slide, table: Table, box: tuple[int, int, int, int]) -> None:
    left, top, width, height = box
    title_h = Inches(0.35) if table.title else 0
    if table.title:
        _text_box(slide, left, top, width, title_h, [table.title], 12, bold=True)
    n_cols = max(len(table.columns), *(len(row) for row in table.rows), 1)
    body_h = height - title_h
    # Rows that do not fit are left out, with a last row saying how many (the
    # xlsx has them all).
    rows = list(table.rows)
    fit = max(2, body_h // MIN_ROW - 1)
    omitted = 0
    if len(rows) > fit:
        omitted = len(rows) - (fit - 1)
        rows = rows[: fit - 1]
    n_rows = len(rows) + 1 + (1 if omitted else 0)
    row_h = min(max(body_h // n_rows, MIN_ROW), MAX_ROW)
    size = max(7.0, min(12.0, row_h / 12700 * 0.55))
    shape = slide.shapes.add_table(
        n_rows, n_cols, Emu(left), Emu(top + title_h), Emu(width), Emu(row_h * n_rows)
    )
    grid = shape.table
    for r in range(n_rows):
        grid.rows[r].height = Emu(row_h)
        for c in range(n_cols):
            grid.cell(r, c).margin_top = grid.cell(r, c).margin_bottom = Pt(1)
    if omitted:
        last = grid.cell(n_rows - 1, 0)
        if n_cols > 1:
            last.merge(grid.cell(n_rows - 1, n_cols - 1))
        _fill_text(last.text_frame, [f"…ほか {omitted} 行（Excel 版を参照）"], size)
    numeric = [
        any(
            isinstance(row[c], int | float | Decimal) and not isinstance(row[c], bool)
            for row in table.rows
            if c < len(row)
        )
        for c in range(n_cols)
    ]
    for c in range(n_cols):
        cell = grid.cell(0, c)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE
        name = table.columns[c] if c < len(table.columns) else ""
        _fill_text(
            cell.text_frame,
            [str(name)],
            size,
            bold=True,
            align=PP_ALIGN.RIGHT if numeric[c] else PP_ALIGN.LEFT,
        )
    for r, row in enumerate(rows, start=1):
        for c in range(n_cols):
            value = row[c] if c < len(row) else None
            pattern = table.formats[c] if c < len(table.formats) else None
            cell = grid.cell(r, c)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            is_number = isinstance(value, int | float | Decimal) and not isinstance(
                value, bool
            )
            _fill_text(
                cell.text_frame,
                [format_number(value, pattern)],
                size,
                align=PP_ALIGN.RIGHT if is_number else PP_ALIGN.LEFT,
            )


def _values(values: Sequence[Number]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _add_chart(slide: Slide, chart: Chart, box: tuple[int, int, int, int]) -> None:
    left, top, width, height = box
    data = CategoryChartData(  # type: ignore[no-untyped-call]
        number_format=chart_number_format(chart.number_format)
    )
    data.categories = list(chart.categories)
    for name, values in chart.series:
        data.add_series(name, _values(values))  # type: ignore[no-untyped-call]
    kind = CHART_TYPES.get(chart.kind, XL_CHART_TYPE.COLUMN_CLUSTERED)
    # python-pptx annotates add_chart() as returning the chart, but it returns
    # the graphic frame; CategoryChartData is a ChartData it does not declare.
    frame: Any = slide.shapes.add_chart(
        kind, Emu(left), Emu(top), Emu(width), Emu(height), cast(Any, data)
    )
    native: PptxChart = frame.chart
    _set_font(native.font, 10)
    title = chart.title + (f"（{chart.unit}）" if chart.unit else "")
    if title:
        native.has_title = True
        _fill_text(native.chart_title.text_frame, [title], 12, bold=True)
    else:
        native.has_title = False
    native.has_legend = True
    legend = native.legend
    legend.position = XL_LEGEND_POSITION.BOTTOM
    legend.include_in_layout = False
    _set_font(legend.font, 10)
    value_axis = native.value_axis
    value_axis.tick_labels.number_format = chart_number_format(chart.number_format)
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_major_gridlines = True
    if chart.kind == "stacked_bar":
        # Horizontal bars list the first category at the bottom; read top-down.
        native.category_axis.reverse_order = True
    if chart.kind in ("stacked_bar", "stacked_column"):
        plot = native.plots[0]
        plot.gap_width = 60
        plot.overlap = 100


def _cover(prs: Deck, report: Report, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_WIDTH - 2 * MARGIN
    _text_box(
        slide,
        MARGIN,
        Inches(2.2),
        width,
        Inches(1.2),
        [report.title],
        36,
        bold=True,
        align=PP_ALIGN.CENTER,
    )
    _text_box(
        slide,
        MARGIN,
        Inches(3.7),
        width,
        Inches(1.6),
        [
            report.organisation,
            report.period_label,
            f"作成日: {report.generated_at:%Y-%m-%d}",
        ],
        20,
        align=PP_ALIGN.CENTER,
        space_after=6,
    )
    _footer(slide, 1, total)


def _page(prs: Deck, page: Page, number: int, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_WIDTH - 2 * MARGIN
    top: int = Inches(0.3)
    _text_box(slide, MARGIN, top, width, Inches(0.7), [page.title], 26, bold=True)
    top += Inches(0.8)
    bottom: int = SLIDE_HEIGHT - Inches(0.55)
    items = len(page.tables) + len(page.charts)
    if page.paragraphs:
        # About 60 full-width characters of 14 pt per line on a 12.5" box.
        lines = sum(max(1, math.ceil(len(p) / 60)) for p in page.paragraphs)
        size = 14.0 if items else 18.0
        para_h = Emu(int(Pt(size * 1.5) * lines + Pt(6) * len(page.paragraphs)))
        para_h = Emu(min(para_h, (bottom - top) // 3) if items else bottom - top)
        _text_box(
            slide,
            MARGIN,
            top,
            width,
            para_h,
            page.paragraphs,
            size,
            space_after=6,
        )
        top += para_h + Inches(0.1)
    cells = _grid(items, MARGIN, top, width, bottom - top)
    for table, cell in zip(page.tables, cells, strict=False):
        _add_table(slide, table, cell)
    for chart, cell in zip(page.charts, cells[len(page.tables) :], strict=False):
        _add_chart(slide, chart, cell)
    _footer(slide, number, total)
    if page.notes:
        slide.notes_slide.notes_text_frame.text = page.notes


def render_pptx(report: Report) -> bytes:
    """A 16:9 deck: cover, then one slide per page."""
    prs = Presentation()
    prs.slide_width = Emu(SLIDE_WIDTH)
    prs.slide_height = Emu(SLIDE_HEIGHT)
    total = len(report.pages) + 1
    _cover(prs, report, total)
    for number, page in enumerate(report.pages, start=2):
        _page(prs, page, number, total)
    output = io.BytesIO()
    prs.save(output)
    return output.getvalue()
