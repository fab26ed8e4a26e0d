"""Screens of the procedure inventory: catalogue, detail with triage, funnel."""

import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from yorisou.procedures import services
from yorisou.procedures.models import TriageDecision
from yorisou.procedures.tests.factories import ProcedureFactory, ProcedureVolumeFactory

pytestmark = pytest.mark.django_db


def test_catalogue_detail_and_edit_pages(client, catalogue, officer, staff_user):
    client.force_login(officer)
    page = client.get(reverse("procedures:catalogue")).content.decode()
    assert 'data-code="A"' in page and "住民票の写しの交付請求" in page
    filtered = client.get(
        reverse("procedures:catalogue"), {"bureau": "20"}
    ).content.decode()
    assert 'data-code="D"' in filtered and 'data-code="A"' not in filtered
    assert (
        client.get(reverse("procedures:detail", kwargs={"code": "A"})).status_code
        == 200
    )
    assert (
        client.get(reverse("procedures:edit", kwargs={"code": "A"})).status_code == 200
    )
    client.force_login(staff_user)  # 高齢福祉課: may edit A, not D
    assert (
        client.get(reverse("procedures:edit", kwargs={"code": "A"})).status_code == 200
    )
    assert (
        client.get(reverse("procedures:edit", kwargs={"code": "D"})).status_code == 403
    )
    response = client.post(
        reverse("procedures:detail", kwargs={"code": "A"}), {"status": "not_started"}
    )
    assert response.status_code == 403


def test_triage_from_the_detail_page_changes_the_funnel(
    client, catalogue, officer, staff_user
):
    client.force_login(officer)
    services.candidates_select(actor=officer, fiscal_year=2022, min_cases=400)
    url = reverse("procedures:detail", kwargs={"code": "B"})
    bad = client.post(
        url,
        {"is_candidate": "on", "triage_class": "start_now", "status": "not_started"},
    )
    assert bad.status_code == 200 and "reason" in bad.context["form"].errors
    ok = client.post(
        url,
        {
            "is_candidate": "on",
            "triage_class": "start_now",
            "reason": "high_volume",
            "target_fy": "2024",
            "target_quarter": "2",
            "status": "coordinating",
            "owner": staff_user.pk,
        },
    )
    assert ok.status_code == 302
    decision = TriageDecision.objects.get(procedure__code="B", is_current=True)
    assert (decision.status, decision.owner) == ("coordinating", staff_user)
    funnel = client.get(reverse("procedures:funnel")).content.decode()
    row = re.search(r'data-step="start_now">.*?data-col="procedures">(\d+)<', funnel)
    assert row is not None and row.group(1) == "1"


def test_candidate_selection_screen(client, catalogue, officer, health_officer):
    client.force_login(officer)
    response = client.post(
        reverse("procedures:triage"),
        {"fiscal_year": "2022", "min_cases": "400", "include_national": "on"},
    )
    assert response.status_code == 302
    page = client.get(reverse("procedures:triage")).content.decode()
    assert 'data-code="A"' in page and 'data-code="D"' not in page
    client.force_login(health_officer)
    assert (
        client.post(
            reverse("procedures:triage"), {"fiscal_year": "2022", "min_cases": "1"}
        ).status_code
        == 403
    )


def _grow(org, n, start):
    for i in range(n):
        procedure = ProcedureFactory(
            code=f"G-{start + i:05d}",
            org_unit=org["elderly"] if i % 2 else org["info"],
            national_26=i % 5 == 0,
        )
        ProcedureVolumeFactory(procedure=procedure, cases=10 + i)
        ProcedureVolumeFactory(procedure=procedure, channel="online", cases=i)
        if i % 3 == 0:
            TriageDecision.objects.create(
                procedure=procedure,
                is_candidate=True,
                triage_class="start_now",
                reason="high_volume",
                target_fy=2024,
                status="online" if i % 2 else "not_started",
                done_on=date(2023, 1, 1) if i % 2 else None,
                created_at="2023-01-01T00:00:00Z",
            )


@pytest.mark.parametrize("url_name", ["procedures:funnel", "procedures:catalogue"])
def test_funnel_and_catalogue_run_constant_queries(client, org, officer, url_name):
    client.force_login(officer)
    url = reverse(url_name)
    client.get(url)
    _grow(org, 5, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(org, 40, 100)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"][:100] for q in large.captured_queries]
    assert len(small) <= 20


def test_catalogue_search_finds_kana_and_old_forms(client, catalogue, officer):
    client.force_login(officer)
    for query in ("児童手当", "じどうてあて", "ジドウテアテ", "ｼﾞﾄﾞｳﾃｱﾃ"):
        page = client.get(
            reverse("procedures:catalogue"), {"q": query}
        ).content.decode()
        assert 'data-code="C"' in page, query
        assert 'data-code="A"' not in page, query
    page = client.get(reverse("procedures:catalogue"), {"q": "住民票", "bureau": "20"})
    assert 'data-code="A"' not in page.content.decode()  # filters still apply


def test_survey_screen_downloads_and_reports_bad_rows(
    client, catalogue, officer, staff_user
):
    import io

    client.force_login(officer)
    url = reverse("procedures:survey")
    download = client.get(url, {"format": "csv"})
    assert (
        download.status_code == 200
        and "住民票の写しの交付請求" in download.content.decode("utf-8-sig")
    )
    text = download.content.decode("utf-8-sig").replace(
        "住民票の写しの交付請求", "住民票（改）", 1
    )
    bad = text.replace(",application,", ",nonsense,", 1)
    upload = io.BytesIO(bad.encode())
    upload.name = "procedures.csv"
    response = client.post(url, {"file": upload})
    assert (
        response.status_code == 200
        and 'id="import-errors"' in response.content.decode()
    )
    assert not catalogue["A"].__class__.objects.filter(name="住民票（改）").exists()
    good = io.BytesIO(text.encode())
    good.name = "procedures.csv"
    assert client.post(url, {"file": good}).status_code == 302
    assert catalogue["A"].__class__.objects.get(code="A").name == "住民票（改）"
    client.force_login(staff_user)  # plain staff: may download, not upload
    assert "enctype" not in client.get(url).content.decode()
