"""The progress report from the demo data: the seed's figures come out of it, and
a period-exact report ignores what changed after the period was closed."""

import io
from decimal import Decimal

from django.core.management import call_command

import pytest
from openpyxl import load_workbook

from yorisou.core.permissions import SYSTEM
from yorisou.reforms.models import Plan
from yorisou.reports import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    from yorisou.accounts.demo import AccountsDemoLoader
    from yorisou.procedures.demo import ProceduresDemoLoader
    from yorisou.reforms.demo import ReformsDemoLoader

    AccountsDemoLoader().load()
    ReformsDemoLoader().load()
    ProceduresDemoLoader().load()
    return Plan.objects.get(code="city-hall-reform")


def _cells(workbook):
    values = {}
    for sheet in workbook.worksheets:
        values[sheet.title] = [
            [cell for cell in row] for row in sheet.iter_rows(values_only=True)
        ]
    return values


def test_xlsx_report_shows_the_seed_figures(demo, tmp_path):
    output = tmp_path / "report.xlsx"
    call_command(
        "report",
        "--format",
        "xlsx",
        "--output",
        str(output),
        "--period",
        "FY2022",
        stdout=io.StringIO(),
    )
    sheets = _cells(load_workbook(output, data_only=True))
    flat = [value for rows in sheets.values() for row in rows for value in row]
    progress = next(rows for title, rows in sheets.items() if "137" in title)
    assert progress[1][:3] == ["計画通り", "一部変更・遅れ", "合計"]
    assert [108, 29, 137] in [row[:3] for row in progress]
    indicator_rows = next(
        rows
        for rows in sheets.values()
        if any(len(r) > 1 and "市債残高" in str(r[1]) for r in rows)
    )
    bonds = next(r for r in indicator_rows if len(r) > 1 and "市債残高" in str(r[1]))
    assert bonds[2:5] == [2248, 2359, 2430] and "達成" in bonds[5]
    satisfaction = next(
        r for r in indicator_rows if len(r) > 1 and "満足している市民" in str(r[1])
    )
    assert satisfaction[2:5] == [48.9, 44.1, 65]
    assert 89.33 in flat and 70.95 in flat and 46.1 in flat and 34.0 in flat
    assert 52 in flat and 48 in flat and 81 in flat and 19 in flat
    funnel = next(
        rows for rows in sheets.values() if any(r and r[0] == "全手続" for r in rows)
    )
    by_step = {r[0]: r[1:4] for r in funnel if r and r[0]}
    assert by_step["全手続"][:2] == [4512, 4000000]
    assert by_step["優先候補"][:2] == [118, 2200000] and by_step["優先候補"][
        2
    ] == pytest.approx(0.55)
    assert [
        by_step[k][0] for k in ("①速やかに実現", "②国の動向を踏まえ判断", "③対象外")
    ] == [69, 8, 41]


def test_period_exact_report_ignores_later_changes(demo):
    from django.utils import timezone

    from yorisou.reforms import selectors
    from yorisou.reforms.models import ReportingPeriod, StatusReport, StatusReportEvent

    period = ReportingPeriod.objects.get(plan=demo, code="FY2022")
    period.closed_at = timezone.now()
    period.save(update_fields=["closed_at"])
    before = selectors.approved_statuses_as_of(
        actor=SYSTEM, plan=demo, period=period, at=period.closed_at
    )
    report = StatusReport.objects.filter(
        period=period, approved_status="on_plan"
    ).first()
    # a later correction, approved after the period was closed
    StatusReportEvent.objects.create(
        report=report,
        seq=99,
        action="approve",
        from_state="submitted",
        to_state="approved",
        status="changed",
        reason="後日の修正",
        progress=10,
        actor_repr="test",
        created_at=timezone.now() + timezone.timedelta(days=1),
    )
    after = selectors.approved_statuses_as_of(
        actor=SYSTEM, plan=demo, period=period, at=period.closed_at
    )
    assert after == before and after[report.item_id][0] == "on_plan"
    counts = [s for s, _r, _p in after.values()]
    assert (counts.count("on_plan"), counts.count("changed")) == (108, 29)
    content = services.report_build(actor=SYSTEM, plan=demo, period=period)
    progress = next(p for p in content.pages if p.tables and "137" in p.tables[0].title)
    assert list(progress.tables[0].rows[0]) == [108, 29, 137]


def test_a_period_without_approved_statuses_says_so(demo):
    from yorisou.reforms.models import ReportingPeriod

    empty = ReportingPeriod.objects.create(
        plan=demo,
        code="FY2024",
        kind="year",
        fiscal_year=2024,
        starts_on="2024-04-01",
        ends_on="2025-03-31",
        deadline="2025-04-30",
    )
    content = services.report_build(actor=SYSTEM, plan=demo, period=empty)
    progress = next(
        p
        for p in content.pages
        if p.title == "取組項目の進捗状況"
        or "progress" in p.title.lower()
        or "進捗" in p.title
    )
    assert not progress.tables and any(
        "FY2024" in text or "令和6年度" in text for text in progress.paragraphs
    )


def test_decimal_values_keep_their_digits(demo):
    content = services.report_build(actor=SYSTEM, plan=demo, period=None)
    indicators = next(
        p
        for p in content.pages
        if p.tables and any("市債残高" in str(r[1]) for r in p.tables[0].rows)
    )
    bonds = next(r for r in indicators.tables[0].rows if "市債残高" in str(r[1]))
    assert bonds[2] == Decimal("2248")


def test_funnel_page_states_the_roadmap(demo):
    content = services.report_build(actor=SYSTEM, plan=demo, period=None)
    page = next(p for p in content.pages if p.charts and p.charts[0].kind == "bar")
    text = " ".join(page.paragraphs)
    assert "69" in text and "45" in text and "24" in text and "FY2024" in text


def test_pptx_and_pdf_reports_show_the_seed_figures(demo, tmp_path):
    from pptx import Presentation
    from pypdf import PdfReader

    pptx_path, pdf_path = tmp_path / "report.pptx", tmp_path / "report.pdf"
    for fmt, path in (("pptx", pptx_path), ("pdf", pdf_path)):
        call_command(
            "report",
            "--format",
            fmt,
            "--output",
            str(path),
            "--period",
            "FY2022",
            stdout=io.StringIO(),
        )
    deck = Presentation(str(pptx_path))
    cells: list[str] = []
    charts = []
    notes = []
    for slide in deck.slides:
        notes.append(slide.notes_slide.notes_text_frame.text)
        for shape in slide.shapes:
            if shape.has_table:
                cells.extend(
                    cell.text for row in shape.table.rows for cell in row.cells
                )
            if shape.has_chart:
                charts.append(shape.chart)
    assert cells[cells.index("108") : cells.index("108") + 3] == ["108", "29", "137"]
    assert "2,248" in cells and "2,359" in cells and "2,430" in cells
    assert "4,000,000" in cells and "2,200,000" in cells and "55.0%" in cells
    rates = {
        tuple(round(v, 2) for v in series.values)
        for chart in charts
        for plot in chart.plots
        for series in plot.series
    }
    assert (46.1, 57.9, 89.33) in rates and (34.0, 49.2, 70.95) in rates
    assert (81.0, 73.0, 48.0) in rates and (19.0, 27.0, 52.0) in rates
    assert any("FY2022" in note or "令和4年度" in note for note in notes)
    text = "".join(page.extract_text() for page in PdfReader(str(pdf_path)).pages)
    for figure in ("108", "137", "2,248", "2,430", "89.33", "4,000,000"):
        assert figure in text, figure


def test_report_screen_builds_keeps_and_serves_the_file(
    demo, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from yorisou.accounts.models import User
    from yorisou.core.models import AuditEvent
    from yorisou.reports.models import GeneratedReport

    settings.MEDIA_ROOT = tmp_path
    client.force_login(User.objects.get(username="reformlead"))
    page = client.get(reverse("reports:list", kwargs={"plan": "city-hall-reform"}))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:request", kwargs={"plan": "city-hall-reform"}),
            {"period": "FY2022", "format": "xlsx"},
        )
    assert response.status_code == 302
    generated = GeneratedReport.objects.get()
    assert (generated.state, generated.period.code, generated.created_by.username) == (
        "done",
        "FY2022",
        "reformlead",
    )
    download = client.get(reverse("reports:download", kwargs={"pk": generated.pk}))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert any(
        list(row[:3]) == [108, 29, 137]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    assert AuditEvent.objects.filter(action="reports.report.download").count() == 1
    bad = client.post(
        reverse("reports:request", kwargs={"plan": "city-hall-reform"}),
        {"period": "FY2022", "format": "docx"},
    )
    assert bad.status_code == 302 and GeneratedReport.objects.count() == 1
    client.force_login(User.objects.get(username="citizen"))
    assert (
        client.get(reverse("reports:download", kwargs={"pk": generated.pk})).status_code
        == 403
    )
