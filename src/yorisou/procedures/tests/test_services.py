"""Catalogue edits, candidate selection, triage rules, the funnel arithmetic against
a hand-checked catalogue, permissions and the KPI push."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

import pytest

from yorisou.core.models import AuditEvent
from yorisou.procedures import selectors, services
from yorisou.procedures.models import TriageDecision
from yorisou.reforms.models import SeriesPoint

pytestmark = pytest.mark.django_db

ONE, TWO, THREE = "start_now", "wait_state", "excluded"


def _classify(actor, procedure, triage_class, **kw):
    choices: dict[str, dict[str, Any]] = {
        ONE: {"reason": "high_volume", "target_fy": 2023},
        TWO: {"reason": "state_system"},
        THREE: {"reason": "law_presence"},
    }
    defaults = choices[triage_class]
    return services.triage_decide(
        actor=actor,
        procedure=procedure,
        triage_class=triage_class,
        **{**defaults, **kw},
    )


def test_candidate_rule_is_saved_and_selects_by_volume_and_national_flag(
    catalogue, officer
):
    selection = services.candidates_select(
        actor=officer, fiscal_year=2022, min_cases=400
    )
    chosen = set(
        TriageDecision.objects.filter(is_current=True, is_candidate=True).values_list(
            "procedure__code", flat=True
        )
    )
    assert chosen == {"A", "B", "C"}  # A, B by volume; C as a national procedure
    assert selection.rule == {
        "fiscal_year": 2022,
        "min_cases": 400,
        "include_national": True,
    }
    assert selection.selected == 3
    again = services.candidates_select(actor=officer, fiscal_year=2022, min_cases=400)
    assert TriageDecision.objects.count() == 3 and again.selected == 3
    event = AuditEvent.objects.filter(action="procedures.candidates.select").first()
    assert event.changes["rule"][1]["min_cases"] == 400


def test_funnel_arithmetic_on_a_hand_checked_catalogue(catalogue, officer):
    services.candidates_select(
        actor=officer, fiscal_year=2022, min_cases=100
    )  # A B C D
    _classify(officer, catalogue["A"], ONE, status="online", done_on=date(2023, 3, 1))
    _classify(officer, catalogue["B"], ONE, target_fy=2024, target_quarter=2)
    _classify(officer, catalogue["C"], TWO)
    _classify(officer, catalogue["D"], THREE)
    funnel = selectors.funnel(actor=officer, fiscal_year=2022)
    assert (funnel.all.procedures, funnel.all.cases) == (6, 2000)
    assert (funnel.candidates.procedures, funnel.candidates.cases) == (4, 1950)
    assert funnel.candidates.share == pytest.approx(97.5)
    one, two, three = (funnel.classes[k] for k in (ONE, TWO, THREE))
    assert (one.procedures, one.cases, one.share) == (2, 1500, 75.0)
    assert (two.procedures, two.cases) == (1, 300)
    assert (three.procedures, three.cases) == (1, 150)
    assert funnel.start_now_status == {"not_started": 1, "coordinating": 0, "online": 1}
    roadmap = [
        (p.fiscal_year, p.quarter, p.planned, p.done, p.planned_total, p.done_total)
        for p in funnel.roadmap
    ]
    # A: planned FY2023 (whole year → Q4), done 2023-03-01 = FY2022 Q4; B: FY2024 Q2
    assert roadmap == [
        (2022, 4, 0, 1, 0, 1),
        (2023, 4, 1, 0, 1, 1),
        (2024, 2, 1, 0, 2, 1),
    ]
    assert funnel.national_26 == {"total": 2, "online": 1, "start_now": 1}
    assert [(r["procedure__code"], r["share"]) for r in funnel.top_online] == [
        ("A", 10.0),
        ("C", pytest.approx(100 / 3)),
    ]
    # filters: 健康福祉局 only
    health = selectors.funnel(
        actor=officer, fiscal_year=2022, filters=selectors.ProcedureFilter(bureau="35")
    )
    assert (health.all.procedures, health.all.cases, health.candidates.procedures) == (
        3,
        1800,
        3,
    )


def test_triage_rules(catalogue, officer):
    procedure = catalogue["A"]
    services.candidates_select(actor=officer, fiscal_year=2022, min_cases=0)
    cases = [
        ({"triage_class": ONE, "target_fy": 2023}, "reason"),
        ({"triage_class": ONE, "reason": "other"}, "reason_text"),
        ({"triage_class": ONE, "reason": "high_volume"}, "target_fy"),
        (
            {"triage_class": TWO, "reason": "state_system", "status": "coordinating"},
            "status",
        ),
        (
            {
                "triage_class": ONE,
                "reason": "high_volume",
                "target_fy": 2023,
                "status": "online",
            },
            "done_on",
        ),
        (
            {
                "triage_class": ONE,
                "reason": "high_volume",
                "target_fy": 2023,
                "status": "online",
                "done_on": date(2999, 1, 1),
            },
            "done_on",
        ),
        (
            {
                "triage_class": ONE,
                "reason": "high_volume",
                "target_fy": 2023,
                "target_quarter": 5,
            },
            "target_quarter",
        ),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as error:
            services.triage_decide(actor=officer, procedure=procedure, **values)
        assert field in error.value.message_dict, values
    assert TriageDecision.objects.filter(procedure=procedure).count() == 1


def test_revisions_keep_history_and_retries_change_nothing(catalogue, officer):
    services.candidates_select(actor=officer, fiscal_year=2022, min_cases=0)
    first = _classify(officer, catalogue["A"], TWO)
    again = _classify(officer, catalogue["A"], TWO)
    assert again.pk == first.pk
    revised = _classify(
        officer, catalogue["A"], ONE, reason_text="国の方針が示されたため"
    )
    history = list(
        TriageDecision.objects.filter(procedure=catalogue["A"]).order_by("id")
    )
    assert [d.is_current for d in history] == [False, False, True]
    assert history[-1] == revised
    event = AuditEvent.objects.filter(action="procedures.triage.revise").first()
    assert event.changes["triage_class"] == ["wait_state", "start_now"]


def test_permissions_section_staff_officers_and_others(
    catalogue, org, make_user, health_officer, staff_user
):
    # staff_user belongs to 高齢福祉課 (org["elderly"])
    a, d = catalogue["A"], catalogue["D"]
    a.name = "住民票の写しの交付請求（郵送可）"
    services.procedure_save(actor=staff_user, procedure=a, created=False)
    d.name = "他課の手続"
    with pytest.raises(PermissionDenied):
        services.procedure_save(actor=staff_user, procedure=d, created=False)
    with pytest.raises(PermissionDenied):
        services.triage_decide(actor=staff_user, procedure=a)
    services.triage_decide(actor=health_officer, procedure=a)
    with pytest.raises(PermissionDenied):
        services.triage_decide(actor=health_officer, procedure=d)
    with pytest.raises(PermissionDenied):
        services.candidates_select(actor=health_officer, fiscal_year=2022, min_cases=1)
    # moving a procedure out of one's section is refused too
    a.org_unit = org["info"]
    with pytest.raises(PermissionDenied):
        services.procedure_save(actor=staff_user, procedure=a, created=False)


def test_procedure_save_derives_bureau_and_search_text_and_audits(
    catalogue, officer, org
):
    procedure = catalogue["F"]
    procedure.org_unit = org["elderly"]
    procedure.keywords = "こもんじょ"
    services.procedure_save(actor=officer, procedure=procedure, created=False)
    procedure.refresh_from_db()
    assert procedure.bureau.code == "35"
    assert "こもんじょ" in procedure.search_text
    event = AuditEvent.objects.filter(action="procedures.procedure.update").get()
    assert event.changes["org_unit"] == ["改革プロジェクト推進課", "高齢福祉課"]
    procedure.org_unit = org["health"]  # a bureau, not a section
    with pytest.raises(ValidationError):
        services.procedure_save(actor=officer, procedure=procedure, created=False)


def test_kpis_are_pushed_to_the_reform_series(
    catalogue, officer, django_capture_on_commit_callbacks
):
    services.candidates_select(actor=officer, fiscal_year=2022, min_cases=0)
    with django_capture_on_commit_callbacks(execute=True):
        _classify(
            officer, catalogue["A"], ONE, status="online", done_on=date(2023, 3, 1)
        )
    services.kpi_publish(on=date(2023, 3, 31))
    count = SeriesPoint.objects.get(
        series__code=services.SERIES_ONLINE_PROCEDURES, on=date(2023, 3, 31)
    )
    assert count.value == Decimal(1) and count.origin == "procedures"
    share = SeriesPoint.objects.get(
        series__code=services.SERIES_ONLINE_SHARE, on=date(2023, 3, 31)
    )
    assert share.value == Decimal("10.00")  # 200 online of 2,000 cases in FY2022
