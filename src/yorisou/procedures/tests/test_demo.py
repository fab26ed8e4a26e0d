"""The demo catalogue reproduces slide 6 when computed from its rows with plain ORM
aggregates, follows its own candidate rule, and loads once (idempotent)."""

import random
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

import pytest

from yorisou.core.models import AuditEvent
from yorisou.procedures import demo, services
from yorisou.procedures.models import (
    CandidateSelection,
    Procedure,
    ProcedureVolume,
    Tag,
    TriageDecision,
)
from yorisou.reforms.models import SeriesPoint

SLIDE_6 = {"start_now": 1_860_000, "wait_state": 220_000, "excluded": 120_000}


@pytest.fixture
def catalogue(db):
    from yorisou.accounts.demo import AccountsDemoLoader
    from yorisou.reforms.demo import ReformsDemoLoader

    AccountsDemoLoader().load()
    ReformsDemoLoader().load()
    assert demo.ProceduresDemoLoader().load() == []


def cases(fiscal_year=2022, **filters):
    volumes = ProcedureVolume.objects.filter(fiscal_year=fiscal_year, **filters)
    return volumes.aggregate(n=Sum("cases"))["n"] or 0


def within(value, expected, tolerance=0.01):
    return abs(value - expected) <= expected * tolerance


def snapshot():
    return {
        "procedures": Procedure.objects.count(),
        "volumes": ProcedureVolume.objects.count(),
        "cases": cases(),
        "tags": Tag.objects.count(),
        "tagged": Procedure.tags.through.objects.count(),
        "selections": CandidateSelection.objects.count(),
        "decisions": TriageDecision.objects.count(),
        "points": SeriesPoint.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_the_demo_catalogue(catalogue):
    """One load (the loaders take a few seconds), three checks."""
    check_slide_6()
    check_selection_rule()
    check_loading_twice_changes_nothing()


def check_slide_6():
    total = cases()
    assert 4_400 <= Procedure.objects.count() <= 4_600
    assert 3_960_000 <= total <= 4_040_000

    current = TriageDecision.objects.filter(is_current=True)
    candidates = current.filter(is_candidate=True)
    candidate_cases = cases(procedure__in=candidates.values("procedure"))
    assert candidates.count() == 118
    assert 2_178_000 <= candidate_cases <= 2_222_000
    assert 54 <= candidate_cases * 100 / total <= 56

    for triage_class, expected in SLIDE_6.items():
        chosen = candidates.filter(triage_class=triage_class).values("procedure")
        assert within(cases(procedure__in=chosen), expected), triage_class
    assert {key: candidates.filter(triage_class=key).count() for key in SLIDE_6} == {
        "start_now": 69,
        "wait_state": 8,
        "excluded": 41,
    }

    start_now = candidates.filter(triage_class="start_now")
    online = start_now.filter(status="online", done_on__lte=date(2023, 3, 31))
    assert online.count() == 45
    assert (
        online.filter(done_on__gte=date(2021, 10, 1), target_fy__lte=2022).count() == 45
    )
    planned = start_now.exclude(status="online")
    assert planned.count() == planned.filter(target_fy=2024).count() == 24
    assert not planned.filter(target_quarter=0).exists()
    assert set(
        online.filter(
            procedure__name__in=[
                "児童手当等の受給資格及び児童手当の額についての認定請求",
                "保育施設等の利用申込",
                "要介護・要支援認定の申請",
            ]
        ).values_list("procedure__name", flat=True)
    ) == {
        "児童手当等の受給資格及び児童手当の額についての認定請求",
        "保育施設等の利用申込",
        "要介護・要支援認定の申請",
    }

    assert Procedure.objects.filter(national_26=True).count() == 26
    assert Procedure.objects.filter(national_31=True).count() == 31
    assert not Procedure.objects.filter(national_31=True).exclude(
        pk__in=candidates.values("procedure")
    )

    # a few candidates were first put in ② and later revised to ①
    history = TriageDecision.objects.filter(is_current=False)
    assert history.count() == 5
    for old in history:
        new = current.get(procedure=old.procedure_id)
        assert (old.triage_class, new.triage_class) == ("wait_state", "start_now")
        assert old.created_at < new.created_at

    # FY2022 online share is small; FY2023 has more online cases
    share_2022 = cases(channel="online") / total
    share_2023 = cases(2023, channel="online") / cases(2023)
    assert 0.01 < share_2022 < 0.10 < share_2023 < 0.20
    assert within(cases(2023), total, 0.05)

    # the reform plan shows 45 procedures online at the end of March 2023
    assert SeriesPoint.objects.get(
        series__code=services.SERIES_ONLINE_PROCEDURES, on=date(2023, 3, 31)
    ).value == Decimal(45)


def check_selection_rule():
    selection = CandidateSelection.objects.get()
    assert (selection.fiscal_year, selection.selected) == (2022, 118)
    assert selection.include_national and selection.note
    big = (
        ProcedureVolume.objects.filter(fiscal_year=selection.fiscal_year)
        .values("procedure")
        .annotate(total=Sum("cases"))
        .filter(total__gte=selection.min_cases)
        .values("procedure")
    )
    by_rule = Procedure.objects.filter(
        Q(pk__in=big) | Q(national_26=True) | Q(national_31=True)
    )
    candidates = TriageDecision.objects.filter(
        is_current=True, is_candidate=True, selection=selection
    )
    assert set(by_rule.values_list("pk", flat=True)) == set(
        candidates.values_list("procedure", flat=True)
    )
    # real names are marked as such; the generated long tail is sample data
    real = Procedure.objects.filter(is_sample=False)
    assert real.count() == 45
    assert not real.exclude(pk__in=candidates.values("procedure")).exists()
    assert Procedure.objects.filter(is_sample=True).count() > 4_000
    # every procedure sits in a section and carries its bureau
    assert not Procedure.objects.exclude(org_unit__level="section").exists()
    assert Tag.objects.filter(kind="life_event").count() == 10
    assert Tag.objects.filter(kind="category").count() == 14


def check_loading_twice_changes_nothing():
    before = snapshot()
    assert demo.ProceduresDemoLoader().load() == []
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="procedures.demo.load").count() == 1


def test_cases_are_spread_exactly_and_below_the_cap():
    specs = [
        demo.Spec(section="1", name=str(i), name_en="", kind="", legal_basis_kind="")
        for i in range(500)
    ]
    demo.spread_cases(random.Random(1), specs, 150_000, 2_000)
    values = [spec.cases for spec in specs]
    assert sum(values) == 150_000
    assert max(values) < 2_000 and min(values) >= 0
    assert demo.channel_split(1_000, 0.25, 0.2) == [600, 150, 250]
    assert sum(demo.channel_split(7, 0.5, 0.5)) == 7
