"""The report as a PDF (reportlab platypus): A4 landscape, a cover page, then one
page per report page with tables, vector charts and the notes at the bottom.
Japanese text uses the built-in CID font, so no font file is needed and the text
stays selectable and searchable."""

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    FrameBreak,
    KeepInFrame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from yorisou.reports.content import Chart, Number, Page, Report, Table
from yorisou.reports.render_pptx import format_number

FONT = "HeiseiKakuGo-W5"

PAGE_SIZE = landscape(A4)
MARGIN = 15 * mm
FOOTER_H = 8 * mm
NOTES_H = 18 * mm
GAP = 6 * mm
MIN_ROW = 15.0  # points: 9 pt text with padding

PALETTE = [
    colors.HexColor(c)
    for c in (
        "#1F77B4",
        "#FF7F0E",
        "#2CA02C",
        "#D62728",
        "#9467BD",
        "#8C564B",
        "#E377C2",
        "#7F7F7F",
        "#BCBD22",
        "#17BECF",
    )
]


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=FONT, fontSize=11, leading=16, wordWrap="CJK"
    )
    return {
        "body": base,
        "cover_title": ParagraphStyle(
            "cover_title", parent=base, fontSize=28, leading=38, alignment=TA_CENTER
        ),
        "cover": ParagraphStyle(
            "cover", parent=base, fontSize=16, leading=26, alignment=TA_CENTER
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=26, spaceAfter=8
        ),
        "para": ParagraphStyle("para", parent=base, spaceAfter=4),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=11, leading=14, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11),
        "head": ParagraphStyle("head", parent=base, fontSize=9, leading=11),
        "notes": ParagraphStyle(
            "notes", parent=base, fontSize=8, leading=10, textColor=colors.grey
        ),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _data_table(
    table: Table, width: float, height: float, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """The table, cut to the rows that fit ``height`` at a readable size (the
    xlsx has them all), with a last row saying how many were left out."""
    fit = max(2, int(height // MIN_ROW) - 2)
    body = list(table.rows)
    omitted = 0
    if len(body) > fit:
        omitted = len(body) - (fit - 1)
        body = body[: fit - 1]
    n_cols = max(len(table.columns), *(len(row) for row in table.rows), 1)
    numeric = [
        any(_is_number(row[c]) for row in table.rows if c < len(row))
        for c in range(n_cols)
    ]
    texts = [
        [
            format_number(
                row[c] if c < len(row) else None,
                table.formats[c] if c < len(table.formats) else None,
            )
            for c in range(n_cols)
        ]
        for row in body
    ]
    header = [
        str(table.columns[c]) if c < len(table.columns) else "" for c in range(n_cols)
    ]
    # Number columns as wide as their widest figure; text columns share the rest.
    widths: list[float | None] = []
    for c in range(n_cols):
        if numeric[c]:
            widest = max(
                [pdfmetrics.stringWidth(t[c], FONT, 9) for t in texts]
                + [min(pdfmetrics.stringWidth(header[c], FONT, 9), 60)]
            )
            widths.append(widest + 12)
        else:
            widths.append(None)
    fixed = sum(w for w in widths if w is not None)
    flexible = [c for c in range(n_cols) if widths[c] is None]
    rest = max(width - fixed, 60.0 * len(flexible))
    # Text columns get the room in proportion to their longest text (a reason
    # column wider than a code column), none narrower than 60 points.
    natural = {
        c: min(
            max(
                [pdfmetrics.stringWidth(t[c], FONT, 9) for t in texts]
                + [pdfmetrics.stringWidth(header[c], FONT, 9), 1.0]
            )
            + 12,
            rest,
        )
        for c in flexible
    }
    total = sum(natural.values()) or 1.0
    share = {c: max(60.0, rest * natural[c] / total) for c in flexible}
    if flexible and sum(natural.values()) <= rest:
        # everything fits on one line: natural widths, the slack to the last
        share = dict(natural)
        share[flexible[-1]] += rest - sum(natural.values())
    given = sum(share.values())
    if given > rest:  # the 60-point floor took too much: scale back to the room
        share = {c: w * rest / given for c, w in share.items()}
    col_widths = [share[c] if w is None else w for c, w in enumerate(widths)]
    data: list[list[Any]] = [[Paragraph(_escape(h), styles["head"]) for h in header]]
    for row_texts in texts:
        data.append(
            [
                t if numeric[c] else Paragraph(_escape(t), styles["cell"])
                for c, t in enumerate(row_texts)
            ]
        )
    if omitted:
        data.append(
            [Paragraph(f"…ほか {omitted} 行（Excel 版を参照）", styles["cell"])]
            + [""] * (n_cols - 1)
        )
    grid = PdfTable(data, colWidths=col_widths, repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style.extend(
        ("ALIGN", (c, 1), (c, -1), "RIGHT") for c in range(n_cols) if numeric[c]
    )
    if omitted:
        style.append(("SPAN", (0, -1), (-1, -1)))
    grid.setStyle(TableStyle(style))
    flowables: list[Flowable] = []
    if table.title:
        flowables.append(Paragraph(_escape(table.title), styles["caption"]))
    flowables.append(grid)
    return flowables


def _float_values(values: Sequence[Number], size: int) -> list[float | None]:
    out: list[float | None] = [None if v is None else float(v) for v in values]
    return (out + [None] * size)[:size]


def _label_format(pattern: str) -> Callable[[float], str]:
    def fmt(value: float) -> str:
        text = format_number(value, pattern)
        if "." not in pattern and value != round(value):
            # An integer format on a fractional tick (0.5): show the fraction
            # rather than repeating the rounded label.
            return format_number(value, pattern.replace("0", "0.0", 1))
        return text

    return fmt


def _fit(text: str, room: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``room`` points (the data table beside
    the chart has the full label)."""
    if pdfmetrics.stringWidth(text, FONT, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > room:
        text = text[:-1]
    return text + "…"


def _chart_drawing(chart: Chart, width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    title = chart.title + (f"（{chart.unit}）" if chart.unit else "")
    title_h = 18.0 if title else 0.0
    if title:
        drawing.add(
            String(
                width / 2,
                height - 13,
                title,
                fontName=FONT,
                fontSize=11,
                textAnchor="middle",
            )
        )
    n = len(chart.categories)
    names = [name for name, _values in chart.series]
    data = [_float_values(values, n) for _name, values in chart.series]
    categories = list(chart.categories)
    legend_h = 16.0 * max(1, (len(names) + 3) // 4) if names else 0.0
    plot: Any
    if chart.kind == "stacked_bar":
        plot = HorizontalBarChart()
        # First category at the top.
        categories = categories[::-1]
        data = [values[::-1] for values in data]
        room = width * 0.4 - 8
        categories = [_fit(c, room, 8) for c in categories]
        label_w = max([pdfmetrics.stringWidth(c, FONT, 8) for c in categories] + [20])
        plot.x = min(label_w + 8, width * 0.4)
        plot.categoryAxis.style = "stacked"
    elif chart.kind == "line":
        plot = HorizontalLineChart()
        plot.x = 45
        plot.joinedLines = 1
        for i in range(len(data)):
            plot.lines[i].symbol = makeMarker("FilledCircle", size=4)
            plot.lines[i].strokeWidth = 1.5
    else:
        plot = VerticalBarChart()
        plot.x = 45
        if chart.kind == "stacked_column":
            plot.categoryAxis.style = "stacked"
    plot.y = legend_h + 22
    plot.width = max(width - plot.x - 10, 10)
    plot.height = max(height - plot.y - title_h - 8, 10)
    plot.data = data or [[0.0] * n]
    plot.categoryAxis.categoryNames = categories
    plot.categoryAxis.labels.fontName = FONT
    plot.categoryAxis.labels.fontSize = 8
    plot.valueAxis.labels.fontName = FONT
    plot.valueAxis.labels.fontSize = 8
    plot.valueAxis.labelTextFormat = _label_format(chart.number_format)
    plot.valueAxis.visibleGrid = 1
    plot.valueAxis.gridStrokeColor = colors.HexColor("#DDDDDD")
    present = [v for values in data for v in values if v is not None]
    if not present or min(present) >= 0:
        plot.valueAxis.valueMin = 0
    for i in range(len(data)):
        color = PALETTE[i % len(PALETTE)]
        if chart.kind == "line":
            plot.lines[i].strokeColor = color
            plot.lines[i].symbol.fillColor = color
        else:
            plot.bars[i].fillColor = color
            plot.bars[i].strokeColor = None
    if chart.kind == "stacked_bar":
        plot.categoryAxis.labels.boxAnchor = "e"
        plot.categoryAxis.labels.dx = -4
    drawing.add(plot)
    if names:
        legend = Legend()
        legend.fontName = FONT
        legend.fontSize = 8
        legend.alignment = "right"
        legend.boxAnchor = "n"
        legend.x = width / 2
        legend.y = legend_h + 2
        legend.columnMaximum = max(1, (len(names) + 3) // 4)
        legend.dx = 8
        legend.dy = 8
        legend.deltay = 14
        legend.deltax = max(
            [pdfmetrics.stringWidth(name, FONT, 8) + 24 for name in names] + [40]
        )
        legend.autoXPadding = 8
        legend.colorNamePairs = [
            (PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names)
        ]
        drawing.add(legend)
    return drawing


def _boxed(content: list[Flowable], width: float, height: float) -> KeepInFrame:
    return KeepInFrame(width, height, content, mode="shrink")


def _page_flowables(
    page: Page, width: float, height: float, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_escape(page.title), styles["title"])]
    used = 34.0
    for text in page.paragraphs:
        paragraph = Paragraph(_escape(text), styles["para"])
        story.append(paragraph)
        used += paragraph.wrap(width, height)[1] + 4
    items = len(page.tables) + len(page.charts)
    if not items:
        return story
    story.append(Spacer(1, 4))
    cols = items if items <= 3 else (2 if items == 4 else 3)
    rows = -(-items // cols)
    area_h = max(height - used - 8, 120.0)
    cell_w = (width - GAP * (cols - 1)) / cols
    cell_h = (area_h - GAP * (rows - 1)) / rows
    cells: list[Flowable] = [
        _boxed(_data_table(table, cell_w, cell_h, styles), cell_w, cell_h)
        for table in page.tables
    ]
    cells.extend(
        _chart_drawing(chart, cell_w, min(cell_h, cell_w * 0.8))
        for chart in page.charts
    )
    if items == 1:
        story.append(cells[0])
        return story
    grid: list[list[Any]] = [
        cells[r * cols : (r + 1) * cols] + [""] * max(0, (r + 1) * cols - items)
        for r in range(rows)
    ]
    layout_widths: list[float] = []
    for c in range(cols):
        layout_widths.append(cell_w)
        if c < cols - 1:
            layout_widths.append(GAP)
    layout = PdfTable(
        [_with_gaps(row) for row in grid],
        colWidths=layout_widths,
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), GAP / 2),
            ]
        ),
        hAlign="LEFT",
    )
    story.append(layout)
    return story


def _with_gaps(row: list[Any]) -> list[Any]:
    out: list[Any] = []
    for i, cell in enumerate(row):
        if i:
            out.append("")
        out.append(cell)
    return out


def render_pdf(report: Report) -> bytes:
    """A4 landscape: cover, then exactly one PDF page per report page (content
    that does not fit is shrunk), with page numbers in the footer."""
    _register_font()
    styles = _styles()
    output = io.BytesIO()
    width, height = PAGE_SIZE
    total = len(report.pages) + 1

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN / 2, report.title)
        canvas.drawRightString(width - MARGIN, MARGIN / 2, f"{doc.page} / {total}")
        canvas.restoreState()

    frame_w = width - 2 * MARGIN
    body_bottom = MARGIN + FOOTER_H
    main_h = height - MARGIN - body_bottom - NOTES_H
    doc = BaseDocTemplate(
        output,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=body_bottom,
        title=report.title,
        author=report.organisation,
        subject=report.period_label,
    )
    pad = 0
    doc.addPageTemplates(
        [
            PageTemplate(
                id="cover",
                frames=[
                    Frame(
                        MARGIN,
                        body_bottom,
                        frame_w,
                        height - MARGIN - body_bottom,
                        id="cover",
                    )
                ],
                onPage=footer,
            ),
            PageTemplate(
                id="page",
                frames=[
                    Frame(
                        MARGIN,
                        body_bottom + NOTES_H,
                        frame_w,
                        main_h,
                        id="main",
                        leftPadding=pad,
                        rightPadding=pad,
                        topPadding=pad,
                        bottomPadding=pad,
                    ),
                    Frame(
                        MARGIN,
                        body_bottom,
                        frame_w,
                        NOTES_H,
                        id="notes",
                        leftPadding=pad,
                        rightPadding=pad,
                        topPadding=pad,
                        bottomPadding=pad,
                    ),
                ],
                onPage=footer,
            ),
        ]
    )
    story: list[Flowable] = [
        Spacer(1, 45 * mm),
        Paragraph(_escape(report.title), styles["cover_title"]),
        Spacer(1, 12 * mm),
        Paragraph(_escape(report.organisation), styles["cover"]),
        Paragraph(_escape(report.period_label), styles["cover"]),
        Paragraph(f"作成日: {report.generated_at:%Y-%m-%d}", styles["cover"]),
    ]
    for page in report.pages:
        story.append(NextPageTemplate("page"))
        story.append(PageBreak())
        story.append(
            _boxed(_page_flowables(page, frame_w, main_h, styles), frame_w, main_h)
        )
        story.append(FrameBreak())
        if page.notes:
            notes = [
                Paragraph(_escape(line), styles["notes"])
                for line in page.notes.splitlines()
                if line.strip()
            ]
            story.append(_boxed(notes, frame_w, NOTES_H))
    doc.build(story)
    return output.getvalue()
