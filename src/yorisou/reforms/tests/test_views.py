"""Screens of the reform plan: the dashboard shows computed figures, the workflow
works through forms, permissions hold, and pages run a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

import pytest

from yorisou.reforms import services
from yorisou.reforms.constants import ReportState, Status
from yorisou.reforms.models import IndicatorValue, SeriesPoint, StatusReport
from yorisou.reforms.tests.factories import (
    ActionItemFactory,
    IndicatorFactory,
    InitiativeFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db


def _login(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def _grow(plan: dict[str, Any], org: dict[str, Any], n: int) -> None:
    """Add ``n`` approved items, ``n`` indicators with values and a series."""
    initiative = InitiativeFactory(
        plan=plan["plan"], pillar=plan["p2"], code=f"2-{n + 5}"
    )
    now = timezone.now()
    for i in range(n):
        item = ActionItemFactory(
            plan=plan["plan"],
            initiative=initiative,
            code=f"2-x-{n}-{i}",
            org_unit=org["elderly"] if i % 2 else org["info"],
        )
        StatusReport.objects.create(
            item=item,
            period=plan["fy2022"],
            state=ReportState.APPROVED,
            status=Status.ON_PLAN if i % 3 else Status.CHANGED,
            reason="" if i % 3 else "遅れ",
            progress=50,
            approved_status=Status.ON_PLAN if i % 3 else Status.CHANGED,
            approved_reason="" if i % 3 else "遅れ",
            approved_progress=50,
            approved_at=now,
        )
        indicator = IndicatorFactory(plan=plan["plan"], code=f"ind-{n}-{i}")
        IndicatorValue.objects.create(
            indicator=indicator, fiscal_year=2022, kind="actual", value=Decimal(i)
        )
        IndicatorValue.objects.create(
            indicator=indicator, fiscal_year=2023, kind="target", value=Decimal(100)
        )
    services.plan_changed(plan_id=plan["plan"].pk)  # as every service does
    series = SeriesFactory(plan=plan["plan"], code=f"s-{n}", chart="c")
    for i in range(n):
        SeriesPoint.objects.create(
            series=series, on=now.date() - timedelta(days=i), value=i
        )


@pytest.mark.parametrize("url_name", ["reforms:dashboard", "reforms:indicators"])
def test_dashboard_and_indicator_table_run_constant_queries(
    client, plan, org, office, url_name, django_assert_num_queries
):
    _login(client, office)
    url = reverse(url_name, kwargs={"plan": "reform"})
    client.get(url)  # warm up (session, caches)
    _grow(plan, org, 3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(plan, org, 30)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) <= 25


def test_dashboard_shows_computed_counts(client, plan, lead, office):
    item = plan["items"]["1-1-1"]
    report = services.status_report_save(
        actor=lead,
        item=item,
        period=plan["fy2022"],
        status=Status.CHANGED,
        reason="仕様変更",
        progress=30,
    )
    services.status_report_submit(actor=lead, report=report)
    services.status_report_approve(actor=office, report=report)
    _login(client, office)
    page = client.get(
        reverse("reforms:dashboard", kwargs={"plan": "reform"}), {"period": "FY2022"}
    ).content.decode()
    assert 'data-status="changed"><span class="stat__label">' in page
    assert '<td class="num" data-status="changed">1</td>' in page
    assert '<td class="num" data-status="total">4</td>' in page
    assert "仕様変更" in page  # the reason shows in the item list


def test_report_form_saves_draft_and_lead_submits(client, plan, lead, office):
    _login(client, lead)
    url = reverse(
        "reforms:report_edit",
        kwargs={"plan": "reform", "code": "1-1-1", "period": "FY2022"},
    )
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"status": "changed", "progress": "30", "reason": "", "narrative": ""}
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert not StatusReport.objects.exists()
    response = client.post(
        url,
        {
            "status": "changed",
            "progress": "30",
            "reason": "遅延",
            "narrative": "",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    report = StatusReport.objects.get()
    assert report.state == ReportState.SUBMITTED
    client.logout()
    _login(client, office)
    action = reverse(
        "reforms:report_action",
        kwargs={"plan": "reform", "pk": report.pk, "action": "approve"},
    )
    assert (
        client.post(action, {"comment": "", "version": report.version}).status_code
        == 302
    )
    report.refresh_from_db()
    assert report.approved_status == Status.CHANGED
    queue = client.get(reverse("reforms:review", kwargs={"plan": "reform"}))
    assert 'data-code="1-1-1"' not in queue.content.decode()


def test_other_bureau_cannot_open_the_report_form_or_submit(
    client, plan, lead, other_lead
):
    from yorisou.reforms import services

    report = services.status_report_save(
        actor=lead,
        item=plan["items"]["1-1-1"],
        period=plan["fy2022"],
        status="on_plan",
        progress=10,
    )
    _login(client, other_lead)
    url = reverse(
        "reforms:report_edit",
        kwargs={"plan": "reform", "code": "1-1-1", "period": "FY2022"},
    )
    assert client.get(url).status_code == 403
    action = reverse(
        "reforms:report_action",
        kwargs={"plan": "reform", "pk": report.pk, "action": "submit"},
    )
    assert client.post(action).status_code == 403
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT


def test_public_view_only_for_published_plans(client, plan):
    url = reverse("reforms:public", kwargs={"plan": "reform"})
    assert client.get(url).status_code == 404
    plan["plan"].is_public = True
    plan["plan"].save()
    response = client.get(url)
    assert response.status_code == 200
    assert "pillar-table" in response.content.decode()


def test_citizen_cannot_read_an_unpublished_plan(client, plan, citizen):
    _login(client, citizen)
    assert (
        client.get(reverse("reforms:dashboard", kwargs={"plan": "reform"})).status_code
        == 404
    )


def test_staff_pages_render(client, plan, office, lead):
    IndicatorFactory(plan=plan["plan"], code="1-1")
    SeriesFactory(plan=plan["plan"], code="rate")
    _login(client, office)
    for name, kwargs in [
        ("reforms:plan_list", {}),
        ("reforms:pillar_detail", {"plan": "reform", "code": "1"}),
        ("reforms:item_detail", {"plan": "reform", "code": "1-1-1"}),
        ("reforms:indicator_detail", {"plan": "reform", "code": "1-1"}),
        ("reforms:series_detail", {"plan": "reform", "code": "rate"}),
        ("reforms:structure", {"plan": "reform"}),
        ("reforms:structure_edit", {"plan": "reform", "kind": "item", "code": "1-1-1"}),
        ("reforms:structure_create", {"plan": "reform", "kind": "pillar"}),
        ("reforms:periods", {"plan": "reform"}),
        ("reforms:plan_edit", {"plan": "reform"}),
        ("reforms:review", {"plan": "reform"}),
        ("reforms:worklist", {"plan": "reform"}),
        ("reforms:transfer", {"plan": "reform"}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
    client.logout()
    _login(client, lead)
    assert (
        client.get(reverse("reforms:structure", kwargs={"plan": "reform"})).status_code
        == 403
    )
    page = client.get(
        reverse("reforms:worklist", kwargs={"plan": "reform"})
    ).content.decode()
    assert 'data-code="1-1-1"' in page and 'data-code="1-2-1"' not in page


def test_structure_form_creates_an_item_with_the_derived_bureau(
    client, plan, office, org
):
    _login(client, office)
    initiative = plan["items"]["1-1-1"].initiative
    response = client.post(
        reverse("reforms:structure_create", kwargs={"plan": "reform", "kind": "item"}),
        {
            "code": "1-1-9",
            "initiative": initiative.pk,
            "name": "新しい取組項目",
            "org_unit": org["elderly"].pk,
            "weight": "1",
            "sort_order": "0",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    from yorisou.reforms.models import ActionItem

    assert ActionItem.objects.get(code="1-1-9").bureau.code == "35"
    duplicate = client.post(
        reverse("reforms:structure_create", kwargs={"plan": "reform", "kind": "item"}),
        {
            "code": "1-1-9",
            "initiative": initiative.pk,
            "name": "重複",
            "org_unit": org["elderly"].pk,
            "weight": "1",
            "sort_order": "0",
        },
    )
    assert duplicate.status_code == 200 and duplicate.context["form"].errors


def test_schedule_and_milestones_from_the_item_page(client, plan, office, lead):
    url = reverse("reforms:item_detail", kwargs={"plan": "reform", "code": "1-1-1"})
    _login(client, lead)
    assert (
        client.post(
            url,
            {
                "action": "schedule",
                "fiscal_year": "2023",
                "quarter": "1",
                "description": "x",
            },
        ).status_code
        == 403
    )
    response = client.post(
        url, {"action": "milestone", "title": "要件定義完了", "due_on": "2023-06-30"}
    )
    assert response.status_code == 302
    client.logout()
    _login(client, office)
    assert (
        client.post(
            url,
            {
                "action": "schedule",
                "fiscal_year": "2023",
                "quarter": "1",
                "description": "設計",
            },
        ).status_code
        == 302
    )
    bad = client.post(
        url,
        {"action": "schedule", "fiscal_year": "", "quarter": "9", "description": ""},
    )
    assert bad.status_code == 200 and bad.context["schedule_form"].errors
    item = plan["items"]["1-1-1"]
    assert [(e.fiscal_year, e.quarter, e.description) for e in item.schedule.all()] == [
        (2023, 1, "設計")
    ]
    milestone = item.milestones.get()
    assert (
        client.post(
            url, {"action": "milestone_done", "milestone": milestone.pk}
        ).status_code
        == 302
    )
    milestone.refresh_from_db()
    assert milestone.done_on is not None
    assert (
        client.post(url, {"action": "schedule_delete", "entry": "abc"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"]
)
def test_next_never_leaves_the_site(client, plan, lead, target):
    _login(client, lead)
    url = reverse(
        "reforms:report_edit",
        kwargs={"plan": "reform", "code": "1-1-1", "period": "FY2022"},
    )
    response = client.post(url, {"status": "on_plan", "progress": "10", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reforms:item_detail", kwargs={"plan": "reform", "code": "1-1-1"}
    )
