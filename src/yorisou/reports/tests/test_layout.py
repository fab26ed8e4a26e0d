"""The section registry and a plan's choice of sections; who may generate, choose
and download."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

import pytest

from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.reports import selectors, services
from yorisou.reports.content import Page, Table
from yorisou.reports.models import GeneratedReport
from yorisou.reports.registry import ReportSection, SectionContext, sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_section() -> Any:
    """A section registered by a later module (here: by the test)."""

    @sections.register("tests.hello")
    class HelloSection(ReportSection):
        title = "Hello"
        order = 5

        def pages(self, context: SectionContext) -> list[Page]:
            return [
                Page(
                    title=f"Hello from a new module ({context.plan.code})",
                    tables=[Table(title="t", columns=["a"], rows=[[4242]])],
                )
            ]

    yield "tests.hello"
    sections.unregister("tests.hello")


def _titles(report: Any) -> list[str]:
    return [page.title for page in report.pages]


def test_a_registered_section_appears_in_every_format(
    plan: dict[str, Any], test_section: str
) -> None:
    report = services.report_build(actor=SYSTEM, plan=plan["plan"])
    assert "Hello from a new module (reform)" in _titles(report)
    # order 5: before the stage goal (10)
    assert _titles(report)[0] == "Hello from a new module (reform)"
    for fmt in services.FORMATS:
        content = services.report_generate(
            actor=SYSTEM, plan=plan["plan"], fmt=fmt, chosen=[test_section]
        )
        assert content[:4] in (b"PK\x03\x04", b"%PDF")


def test_the_plan_chooses_sections_and_their_order(
    plan: dict[str, Any], office: Any, test_section: str
) -> None:
    the_plan = plan["plan"]
    services.report_layout_save(
        actor=office, plan=the_plan, chosen=["reforms.progress", test_section]
    )
    report = services.report_build(actor=SYSTEM, plan=the_plan, period=plan["fy2022"])
    assert _titles(report)[-1] == "Hello from a new module (reform)"
    assert not any("Stage" in t or "ステージ" in t for t in _titles(report))
    rows = selectors.report_layout(plan=the_plan)
    assert [r["key"] for r in rows if r["included"]] == [
        "reforms.progress",
        test_section,
    ]
    assert rows[0]["position"] == 1 and rows[-1]["position"] is None
    # the same choice again changes nothing and records nothing more
    services.report_layout_save(
        actor=office, plan=the_plan, chosen=["reforms.progress", test_section]
    )
    assert AuditEvent.objects.filter(action="reports.layout.update").count() == 1
    services.report_layout_reset(actor=office, plan=the_plan)
    assert selectors.report_layout_chosen(plan=the_plan) is None
    assert AuditEvent.objects.filter(action="reports.layout.reset").count() == 1


def test_bad_layouts_are_refused_and_change_nothing(
    plan: dict[str, Any], office: Any, lead: Any
) -> None:
    the_plan = plan["plan"]
    with pytest.raises(ValidationError) as error:
        services.report_layout_save(
            actor=office, plan=the_plan, chosen=["reforms.progress", "nope"]
        )
    assert "nope" in str(error.value)
    with pytest.raises(ValidationError):
        services.report_layout_save(actor=office, plan=the_plan, chosen=[])
    with pytest.raises(PermissionDenied):
        services.report_layout_save(
            actor=lead, plan=the_plan, chosen=["reforms.progress"]
        )
    assert selectors.report_layout_chosen(plan=the_plan) is None


def test_layout_screen(
    client: Any, plan: dict[str, Any], office: Any, lead: Any
) -> None:
    url = reverse("reports:list", kwargs={"plan": "reform"})
    client.force_login(office)
    page = client.get(url)
    assert 'id="layout-table"' in page.content.decode()
    keys = [key for key, _section in sections]
    response = client.post(
        reverse("reports:layout", kwargs={"plan": "reform"}),
        {
            "shown": keys,
            "include": ["reforms.indicators", "reforms.progress"],
            "position-reforms.indicators": "1",
            "position-reforms.progress": "2",
        },
    )
    assert response.status_code == 302
    assert selectors.report_layout_chosen(plan=plan["plan"]) == [
        "reforms.indicators",
        "reforms.progress",
    ]
    refused = client.post(
        reverse("reports:layout", kwargs={"plan": "reform"}), {"shown": keys}
    )
    assert refused.status_code == 302
    assert len(selectors.report_layout_chosen(plan=plan["plan"]) or []) == 2
    # a bureau lead sees the contents but cannot change them
    client.force_login(lead)
    page = client.get(url).content.decode()
    assert 'id="layout-list"' in page and 'id="layout-table"' not in page
    client.post(
        reverse("reports:layout", kwargs={"plan": "reform"}),
        {"shown": keys, "include": ["reforms.progress"]},
    )
    assert len(selectors.report_layout_chosen(plan=plan["plan"]) or []) == 2


def test_who_may_generate_and_download(
    client: Any,
    plan: dict[str, Any],
    lead: Any,
    make_user: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    citizen = make_user(Role.CITIZEN, username="someone")
    with pytest.raises(PermissionDenied):
        services.report_request(actor=citizen, plan=plan["plan"], fmt="xlsx")
    with pytest.raises(PermissionDenied):
        services.report_build(actor=citizen, plan=plan["plan"])
    with django_capture_on_commit_callbacks(execute=True):
        generated = services.report_request(actor=lead, plan=plan["plan"], fmt="pdf")
    generated.refresh_from_db()
    assert (generated.state, generated.progress) == (GeneratedReport.State.DONE, 100)
    client.force_login(citizen)
    download = reverse("reports:download", kwargs={"pk": generated.pk})
    assert client.get(download).status_code == 403
    assert client.post(
        reverse("reports:request", kwargs={"plan": "reform"}), {"format": "pdf"}
    ).status_code in (403, 404)
    assert GeneratedReport.objects.count() == 1
    client.force_login(lead)
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"%PDF"
    assert (
        client.get(reverse("reports:download", kwargs={"pk": 999999})).status_code
        == 404
    )


def test_report_command_takes_sections(plan: dict[str, Any], tmp_path: Any) -> None:
    import io

    from django.core.management import CommandError, call_command

    from openpyxl import load_workbook

    output = tmp_path / "r.xlsx"
    call_command(
        "report",
        "--format=xlsx",
        f"--output={output}",
        "--plan=reform",
        "--period=FY2022",
        "--sections=reforms.progress",
        stdout=io.StringIO(),
    )
    titles = load_workbook(output).sheetnames
    assert titles and not any("Indicator" in t or "指標" in t for t in titles)
    with pytest.raises(CommandError, match="known: "):
        call_command("report", "--format=pdf", f"--output={output}", "--sections=nope")
