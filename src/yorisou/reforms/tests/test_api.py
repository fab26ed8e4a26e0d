"""The reform plan API: reads for staff, writes through the services with 400/403."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from yorisou.reforms.constants import ReportState
from yorisou.reforms.models import IndicatorValue, SeriesPoint, StatusReport
from yorisou.reforms.tests.factories import IndicatorFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_report_workflow_over_the_api(plan, lead, office):
    api = _client(lead)
    bad = api.post(
        "/api/v1/reform-reports/",
        {
            "plan": "reform",
            "item": "1-1-1",
            "period": "FY2022",
            "status": "changed",
            "progress": 30,
        },
        format="json",
    )
    assert bad.status_code == 400 and "reason" in bad.json()
    assert not StatusReport.objects.exists()
    created = api.post(
        "/api/v1/reform-reports/",
        {
            "plan": "reform",
            "item": "1-1-1",
            "period": "FY2022",
            "status": "changed",
            "progress": 30,
            "reason": "延期",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        api.post(f"/api/v1/reform-reports/{pk}/submit/", {}, format="json").status_code
        == 200
    )
    assert (
        api.post(f"/api/v1/reform-reports/{pk}/approve/", {}, format="json").status_code
        == 403
    )
    approved = _client(office).post(
        f"/api/v1/reform-reports/{pk}/approve/", {"comment": "OK"}, format="json"
    )
    assert approved.json()["state"] == ReportState.APPROVED
    assert [e["action"] for e in approved.json()["events"]] == [
        "save",
        "submit",
        "approve",
    ]
    rollup = (
        _client(office)
        .get("/api/v1/reform-plans/reform/rollup/", {"period": "FY2022"})
        .json()
    )
    assert rollup["overall"]["changed"] == 1 and rollup["overall"]["total"] == 4
    items = (
        _client(office)
        .get("/api/v1/reform-items/", {"plan": "reform", "status": "changed"})
        .json()
    )
    assert [i["code"] for i in items["results"]] == ["1-1-1"]


def test_other_bureau_gets_403_and_citizens_nothing(plan, other_lead, citizen):
    response = _client(other_lead).post(
        "/api/v1/reform-reports/",
        {
            "plan": "reform",
            "item": "1-1-1",
            "period": "FY2022",
            "status": "on_plan",
            "progress": 10,
        },
        format="json",
    )
    assert response.status_code == 403
    assert _client(citizen).get("/api/v1/reform-plans/").status_code == 403
    assert APIClient().get("/api/v1/reform-plans/").status_code in (401, 403)


def test_indicator_values_and_series_points_over_the_api(plan, office, staff_user):
    indicator = IndicatorFactory(
        plan=plan["plan"],
        code="3-3",
        direction="lower",
        target_kind="at_most",
        baseline_value=Decimal(2248),
    )
    api = _client(office)
    assert (
        api.post(
            f"/api/v1/reform-indicators/{indicator.pk}/values/",
            {"fiscal_year": 2022, "kind": "actual", "value": "2359"},
            format="json",
        ).status_code
        == 200
    )
    result = api.post(
        f"/api/v1/reform-indicators/{indicator.pk}/values/",
        {"fiscal_year": 2023, "kind": "target", "value": "2430"},
        format="json",
    ).json()
    assert result["assessment"]["judgement"] == "achieved"
    bad = api.post(
        f"/api/v1/reform-indicators/{indicator.pk}/values/",
        {"fiscal_year": 2020, "kind": "target", "value": "1"},
        format="json",
    )
    assert bad.status_code == 400 and "fiscal_year" in bad.json()
    assert IndicatorValue.objects.count() == 2
    listed = (
        _client(staff_user).get("/api/v1/reform-indicators/", {"plan": "reform"}).json()
    )
    assert listed["results"][0]["actuals"] == {"2022": "2359.0000"}
    SeriesFactory(code="konbini-share", plan=plan["plan"])
    point = api.post(
        "/api/v1/reform-series/konbini-share/points/",
        {"on": "2023-05-31", "value": "52"},
        format="json",
    )
    assert point.status_code == 201
    assert (
        _client(staff_user)
        .post(
            "/api/v1/reform-series/konbini-share/points/",
            {"on": "2023-05-31", "value": "1"},
            format="json",
        )
        .status_code
        == 403
    )
    assert SeriesPoint.objects.get().value == Decimal(52)


def test_schema_lists_the_reform_endpoints(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/reform-plans/",
        "/api/v1/reform-reports/{id}/approve/",
        "/api/v1/reform-indicators/{id}/values/",
        "/api/v1/reform-series/{code}/points/",
    ):
        assert path in schema


def test_reform_office_creates_and_changes_items_over_the_api(plan, office, lead):
    api = _client(office)
    bad = api.post(
        "/api/v1/reform-items/", {"plan": "reform", "code": "1-1-9"}, format="json"
    )
    assert bad.status_code == 400 and {"initiative", "name", "org_unit"} <= set(
        bad.json()
    )
    unknown = api.post(
        "/api/v1/reform-items/",
        {
            "plan": "reform",
            "code": "1-1-9",
            "initiative": "9-9",
            "name": "x",
            "org_unit": "351030",
        },
        format="json",
    )
    assert unknown.status_code == 400 and "initiative" in unknown.json()
    created = api.post(
        "/api/v1/reform-items/",
        {
            "plan": "reform",
            "code": "1-1-9",
            "initiative": "1-1",
            "name": "新項目",
            "org_unit": "351030",
            "weight": "2",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["bureau"], created.json()["weight"]) == ("35", "2.00")
    duplicate = api.post(
        "/api/v1/reform-items/",
        {
            "plan": "reform",
            "code": "1-1-9",
            "initiative": "1-1",
            "name": "重複",
            "org_unit": "351030",
        },
        format="json",
    )
    assert duplicate.status_code == 400
    pk = created.json()["id"]
    changed = api.patch(
        f"/api/v1/reform-items/{pk}/", {"org_unit": "202020"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["bureau"] == "20"
    assert (
        _client(lead)
        .patch(f"/api/v1/reform-items/{pk}/", {"name": "y"}, format="json")
        .status_code
        == 403
    )
