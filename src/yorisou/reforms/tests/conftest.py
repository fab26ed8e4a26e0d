"""Fixtures of the reform plan tests: a small plan over the shared org tree."""

from datetime import date
from typing import Any

import pytest

from yorisou.core.constants import Role
from yorisou.reforms.constants import PeriodKind
from yorisou.reforms.models import ReportingPeriod
from yorisou.reforms.tests.factories import (
    ActionItemFactory,
    InitiativeFactory,
    PillarFactory,
    PlanFactory,
    StageFactory,
)


@pytest.fixture
def plan(org: dict[str, Any]) -> dict[str, Any]:
    """Plan "reform": 2 pillars; pillar 1 has initiatives 1-1 (items in 健康福祉局)
    and 1-2 (総務局); pillar 2 one initiative; a FY2022 and a FY2023-H1 period."""
    the_plan = PlanFactory(code="reform")
    stage = StageFactory(plan=the_plan, code="3")
    p1 = PillarFactory(plan=the_plan, stage=stage, code="1", name="デジタル市役所")
    p2 = PillarFactory(plan=the_plan, stage=stage, code="2", name="サービス改革")
    i11 = InitiativeFactory(plan=the_plan, pillar=p1, code="1-1")
    i12 = InitiativeFactory(plan=the_plan, pillar=p1, code="1-2")
    i21 = InitiativeFactory(plan=the_plan, pillar=p2, code="2-1")
    items = {
        "1-1-1": ActionItemFactory(
            plan=the_plan, initiative=i11, code="1-1-1", org_unit=org["disability"]
        ),
        "1-1-2": ActionItemFactory(
            plan=the_plan,
            initiative=i11,
            code="1-1-2",
            org_unit=org["elderly"],
            weight=3,
        ),
        "1-2-1": ActionItemFactory(
            plan=the_plan, initiative=i12, code="1-2-1", org_unit=org["reform"]
        ),
        "2-1-1": ActionItemFactory(
            plan=the_plan, initiative=i21, code="2-1-1", org_unit=org["info"]
        ),
    }
    fy2022 = ReportingPeriod.objects.create(
        plan=the_plan,
        code="FY2022",
        kind=PeriodKind.YEAR,
        fiscal_year=2022,
        starts_on=date(2022, 4, 1),
        ends_on=date(2023, 3, 31),
        deadline=date(2023, 4, 30),
    )
    h1 = ReportingPeriod.objects.create(
        plan=the_plan,
        code="FY2023-H1",
        kind=PeriodKind.HALF,
        fiscal_year=2023,
        number=1,
        starts_on=date(2023, 4, 1),
        ends_on=date(2023, 9, 30),
        deadline=date(2023, 10, 31),
    )
    return {
        "plan": the_plan,
        "items": items,
        "fy2022": fy2022,
        "h1": h1,
        "p1": p1,
        "p2": p2,
    }


@pytest.fixture
def lead(make_user: Any, org: dict[str, Any]) -> Any:
    """The reform lead of 健康福祉局."""
    return make_user(
        Role.BUREAU_REFORM_LEAD,
        org_unit=org["disability"],
        scope=org["health"],
        username="lead",
        email="lead@example.jp",
    )


@pytest.fixture
def office(make_user: Any, org: dict[str, Any]) -> Any:
    """A member of the reform office (改革プロジェクト推進課)."""
    return make_user(
        Role.REFORM_OFFICE,
        org_unit=org["reform"],
        username="office",
        email="office@example.jp",
    )


@pytest.fixture
def other_lead(make_user: Any, org: dict[str, Any]) -> Any:
    """The reform lead of 総務局."""
    return make_user(
        Role.BUREAU_REFORM_LEAD,
        org_unit=org["info"],
        scope=org["general"],
        username="otherlead",
    )
