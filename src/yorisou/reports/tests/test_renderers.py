"""The pptx and pdf renderers, reopened with python-pptx and pypdf (no database)."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pypdf import PdfReader

from yorisou.reports.content import Chart, Page, Report, Table
from yorisou.reports.render_pdf import _label_format, render_pdf
from yorisou.reports.render_pptx import format_number, render_pptx

NOTE = "出典: 電子申請システム（2025年4月〜9月）"


def make_report(pages=None):
    return Report(
        title="行政改革進捗報告",
        organisation="寄り添い市",
        period_label="2025年度上半期",
        generated_at=datetime(2025, 10, 1, 9, 30),
        pages=pages if pages is not None else [],
    )


def full_report():
    table = Table(
        title="手続のオンライン化",
        columns=["区分", "件数", "割合"],
        rows=[
            ["オンライン", 108, 78.8],
            ["窓口", 29, Decimal("21.2")],
            ["合計", 137, 100],
            ["書式", 12345, 0.5],
        ],
        formats=[None, "#,##0", "0.0%"],
    )
    stacked = Chart(
        title="課別の申請件数",
        kind="stacked_bar",
        categories=["市民課", "税務課", "福祉課"],
        series=[("オンライン", [50, 40, 18]), ("窓口", [10, 12, 7])],
        unit="件",
    )
    line = Chart(
        title="オンライン化率の推移",
        kind="line",
        categories=["2023", "2024", "2025"],
        series=[("オンライン化率", [46.1, 57.9, 89.33])],
        unit="%",
        number_format="0.0%",
    )
    return make_report(
        [
            Page(
                title="オンライン申請の状況",
                paragraphs=["オンライン申請は108件、窓口は29件でした。"],
                tables=[table],
                charts=[stacked],
                notes=NOTE,
            ),
            Page(title="推移", charts=[line], notes="出典: 年次集計"),
            Page(
                title="まとめ",
                paragraphs=[
                    "改革は順調に進んでいます。",
                    "次期は窓口の削減を進めます。",
                ],
            ),
        ]
    )


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        (12345, "#,##0", "12,345"),
        (108, "#,##0", "108"),
        (57.94, "0.0", "57.9"),
        (Decimal("89.33"), "0.0%", "89.3%"),
        (46.1, "0.0%", "46.1%"),
        (7, None, "7"),
        (None, "#,##0", ""),
        ("窓口", "#,##0", "窓口"),
        (-0.01, "0.0", "0.0"),
    ],
)
def test_format_number(value, pattern, expected):
    assert format_number(value, pattern) == expected


def _slides(data):
    return list(Presentation(io.BytesIO(data)).slides)


def _texts(slide):
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_pptx_structure_tables_charts_notes():
    data = render_pptx(full_report())
    prs = Presentation(io.BytesIO(data))
    assert prs.slide_width > prs.slide_height
    assert round(prs.slide_width / prs.slide_height, 2) == round(16 / 9, 2)
    slides = list(prs.slides)
    assert len(slides) == 4

    cover = _texts(slides[0])
    assert "行政改革進捗報告" in cover
    assert "寄り添い市" in cover
    assert "2025年度上半期" in cover
    assert "2025-10-01" in cover
    assert "1 / 4" in cover

    first = slides[1]
    assert "オンライン申請の状況" in _texts(first)
    assert "3 / 4" in _texts(slides[2])
    tables = [s for s in first.shapes if s.has_table]
    assert len(tables) == 1
    cells = [[c.text for c in row.cells] for row in tables[0].table.rows]
    assert cells[0] == ["区分", "件数", "割合"]
    assert [row[1] for row in cells[1:4]] == ["108", "29", "137"]
    assert cells[1][2] == "78.8%"
    assert cells[4][1:] == ["12,345", "0.5%"]
    header_run = tables[0].table.cell(0, 0).text_frame.paragraphs[0].runs[0]
    assert header_run.font.bold
    # East Asian typeface for Japanese text.
    assert header_run.font._rPr.find(
        "{http://schemas.openxmlformats.org/drawingml/2006/main}ea"
    ).get("typeface")

    charts = [s for s in first.shapes if s.has_chart]
    assert len(charts) == 1
    chart = charts[0].chart
    assert chart.chart_type == XL_CHART_TYPE.BAR_STACKED
    assert [s.name for s in chart.series] == ["オンライン", "窓口"]
    assert list(chart.series[0].values) == [50, 40, 18]
    assert list(chart.plots[0].categories) == ["市民課", "税務課", "福祉課"]
    assert chart.has_legend

    # Table and chart do not overlap.
    t, c = tables[0], charts[0]
    assert (
        t.left + t.width <= c.left
        or c.left + c.width <= t.left
        or (t.top + t.height <= c.top or c.top + c.height <= t.top)
    )

    assert NOTE in first.notes_slide.notes_text_frame.text

    line = next(s for s in slides[2].shapes if s.has_chart).chart
    assert line.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert list(line.series[0].values) == pytest.approx([46.1, 57.9, 89.33])

    last = slides[3]
    assert "改革は順調に進んでいます。" in _texts(last)
    assert not any(s.has_chart or s.has_table for s in last.shapes)


def test_pptx_chart_kinds():
    kinds = {
        "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
        "stacked_column": XL_CHART_TYPE.COLUMN_STACKED,
    }
    pages = [
        Page(
            title=kind,
            charts=[
                Chart(
                    title=kind,
                    kind=kind,
                    categories=["a", "b"],
                    series=[("x", [1, None]), ("y", [Decimal(2), 3.5])],
                )
            ],
        )
        for kind in kinds
    ]
    slides = _slides(render_pptx(make_report(pages)))
    for slide, expected in zip(slides[1:], kinds.values(), strict=True):
        chart = next(s for s in slide.shapes if s.has_chart).chart
        assert chart.chart_type == expected
        assert list(chart.series[1].values) == [2, 3.5]


def test_pptx_empty_report_is_cover_only():
    slides = _slides(render_pptx(make_report()))
    assert len(slides) == 1
    assert "1 / 1" in _texts(slides[0])


def _pdf_pages(data):
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def test_pdf_text_and_page_count():
    report = full_report()
    data = render_pdf(report)
    assert data.startswith(b"%PDF")
    pages = _pdf_pages(data)
    assert len(pages) == len(report.pages) + 1
    text = "\n".join(pages)
    assert "行政改革進捗報告" in pages[0]
    assert "オンライン申請の状況" in pages[1]
    assert "108" in pages[1]
    assert "12,345" in pages[1]
    assert "78.8%" in pages[1]
    assert "課別の申請件数" in pages[1]  # chart title, vector text
    assert "出典" in pages[1]  # notes
    assert "オンライン化率の推移" in pages[2]
    assert "まとめ" in pages[3]
    assert "2 / 4" in pages[1]
    assert "改革は順調に進んでいます" in text


def test_pdf_landscape_a4():
    reader = PdfReader(io.BytesIO(render_pdf(make_report())))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert round(float(box.width)) == 842


def test_pdf_empty_report_is_cover_only():
    pages = _pdf_pages(render_pdf(make_report()))
    assert len(pages) == 1
    assert "寄り添い市" in pages[0]


def test_pdf_paragraphs_only_page():
    report = make_report([Page(title="はじめに", paragraphs=["本報告は" * 40])])
    pages = _pdf_pages(render_pdf(report))
    assert len(pages) == 2
    assert "はじめに" in pages[1]


def test_pdf_overfull_page_stays_one_page():
    table = Table(
        title="長い表",
        columns=["項目", "件数"],
        rows=[[f"項目{i}", i * 1000] for i in range(120)],
        formats=[None, "#,##0"],
    )
    charts = [
        Chart(
            title=f"グラフ{k}",
            kind=k,
            categories=["a", "b", "c"],
            series=[("s", [1, 2, 3])],
        )
        for k in ("bar", "stacked_column", "line", "stacked_bar")
    ]
    report = make_report([Page(title="大量", tables=[table], charts=charts)])
    pdf_pages = _pdf_pages(render_pdf(report))
    assert len(pdf_pages) == 2
    assert "Excel" in pdf_pages[1]
    slides = _slides(render_pptx(report))
    assert len(slides) == 2
    boxes = [
        (s.left, s.top, s.left + s.width, s.top + s.height)
        for s in slides[1].shapes
        if s.has_chart or s.has_table
    ]
    assert len(boxes) == 5
    long = next(s for s in slides[1].shapes if s.has_table).table
    assert "Excel" in long.cell(len(long.rows) - 1, 0).text
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_pdf_axis_labels_on_fractional_ticks():
    fmt = _label_format("#,##0")
    assert fmt(1000.0) == "1,000"
    assert fmt(0.5) == "0.5"
    assert _label_format("0.0%")(40.0) == "40.0%"
