"""The demo plan computes the seed's figures; the Excel, plan and series screens
work as a user meets them."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

import pytest

from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.reforms import selectors, transfer
from yorisou.reforms.constants import Judgement, Status
from yorisou.reforms.demo import ReformsDemoLoader
from yorisou.reforms.models import ActionItem, Initiative, Pillar, Plan, SeriesPoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_plan(db):
    from yorisou.accounts.demo import AccountsDemoLoader

    AccountsDemoLoader().load()
    ReformsDemoLoader().load()
    return Plan.objects.get(code="city-hall-reform")


def test_demo_plan_computes_the_seed_figures(demo_plan):
    assert (
        Pillar.objects.filter(plan=demo_plan).count(),
        Initiative.objects.filter(plan=demo_plan).count(),
        ActionItem.objects.filter(plan=demo_plan).count(),
    ) == (6, 71, 137)
    periods = {p.code: p for p in selectors.period_list(plan=demo_plan)}
    assert (
        selectors.period_default(list(periods.values()), plan=demo_plan).code
        == "FY2022"
    )
    rollup = selectors.status_rollup(
        actor=SYSTEM, plan=demo_plan, period=periods["FY2022"]
    )
    overall = rollup.overall
    assert (
        overall.get(Status.ON_PLAN),
        overall.get(Status.CHANGED),
        overall.total,
    ) == (108, 29, 137)
    assert sum(row.counts.total for row in rollup.pillars) == 137
    table = selectors.indicator_table(actor=SYSTEM, plan=demo_plan)
    by_name = {row.indicator.name: row for row in table.rows}
    bonds = by_name["市債残高"]
    assert (
        bonds.assessment.baseline_value,
        bonds.assessment.latest_value,
        bonds.assessment.target_value,
    ) == (Decimal(2248), Decimal(2359), Decimal(2430))
    assert bonds.assessment.judgement == Judgement.ACHIEVED
    satisfaction = by_name["市役所のサービスに満足している市民の割合"]
    assert (
        satisfaction.actuals[2021],
        satisfaction.actuals[2022],
        satisfaction.targets[2023],
    ) == (Decimal("48.9"), Decimal("44.1"), Decimal("65"))
    assert table.total == 9
    rates = dict(
        SeriesPoint.objects.filter(
            series__code="mynumber-application-rate"
        ).values_list("on", "value")
    )
    assert rates[date(2023, 3, 31)] == Decimal("89.33")
    shares = SeriesPoint.objects.filter(
        series__code="certificates-konbini-share"
    ).order_by("on")
    assert [int(p.value) for p in shares] == [19, 27, 52]


def test_demo_loads_twice_without_changes(demo_plan):
    events = AuditEvent.objects.count()
    ReformsDemoLoader().load()
    assert AuditEvent.objects.count() == events


def test_excel_screen_downloads_and_rejects_a_bad_upload(client, demo_plan):
    from yorisou.accounts.models import User

    office = User.objects.get(username="reformoffice")
    client.force_login(office)
    url = reverse("reforms:transfer", kwargs={"plan": "city-hall-reform"})
    download = client.get(url, {"format": "xlsx"})
    assert download.status_code == 200
    assert (
        download["Content-Disposition"]
        == 'attachment; filename="city-hall-reform.xlsx"'
    )
    import io
    import zipfile

    workbook = transfer.read_plan_workbook(io.BytesIO(download.content), "plan.xlsx")
    assert workbook is not None
    # change one status to something invalid and upload: nothing changes
    archive = zipfile.ZipFile(io.BytesIO(client.get(url, {"format": "zip"}).content))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "status_reports.csv":
                data = (
                    data.decode("utf-8-sig")
                    .replace(",approved,on_plan,", ",approved,great,", 1)
                    .encode()
                )
            out.writestr(name, data)
    broken.seek(0)
    broken.name = "plan.zip"
    before = AuditEvent.objects.count()
    response = client.post(url, {"file": broken})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-errors"' in page and "status_reports" in page and "great" in page
    assert AuditEvent.objects.count() == before
    staff = User.objects.get(username="staff")
    client.force_login(staff)
    assert client.post(url, {"file": broken}).status_code == 403


def test_plan_and_series_screens_save_through_services(client, demo_plan):
    from yorisou.accounts.models import User

    client.force_login(User.objects.get(username="reformoffice"))
    response = client.post(
        reverse("reforms:plan_create"),
        {
            "code": "ward-plan",
            "name": "区役所改革計画",
            "start_fy": "2024",
            "end_fy": "2027",
            "stage_label": "期",
            "pillar_label": "重点項目",
            "initiative_label": "施策",
            "item_label": "事業",
            "stage_label_en": "Phase",
            "pillar_label_en": "Priority",
            "initiative_label_en": "Measure",
            "item_label_en": "Project",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    plan = Plan.objects.get(code="ward-plan")
    assert plan.label("pillar") == "重点項目"
    bad = client.post(
        reverse("reforms:plan_create"),
        {"code": "x", "name": "y", "start_fy": "2025", "end_fy": "2024"},
    )
    assert bad.status_code == 200 and bad.context["form"].errors
    series_url = reverse(
        "reforms:series_detail",
        kwargs={"plan": "city-hall-reform", "code": "mynumber-application-rate"},
    )
    assert (
        client.post(series_url, {"on": "2024-03-31", "value": "abc"}).status_code == 200
    )
    assert (
        client.post(series_url, {"on": "2024-03-31", "value": "93.1"}).status_code
        == 302
    )
    assert SeriesPoint.objects.get(
        series__code="mynumber-application-rate", on=date(2024, 3, 31)
    ).value == Decimal("93.1")
