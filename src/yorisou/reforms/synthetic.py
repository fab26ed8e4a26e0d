"""A large made-up reform plan, for benchmarks and query-count tests.

Everything is created with ``bulk_create`` in one transaction, so a plan with
10,000 action items takes seconds and a plan with 20 takes a few dozen queries.
Every row is marked as sample data. Values come from a random generator seeded
with the plan code, so the same arguments give the same plan.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yorisou.accounts.constants import OrgLevel
from yorisou.accounts.models import OrgUnit
from yorisou.reforms.constants import (
    STATUSES_WITHOUT_REASON,
    Direction,
    Frequency,
    PeriodKind,
    ReportAction,
    ReportState,
    Status,
    TargetKind,
    ValueKind,
)
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    IndicatorValue,
    Initiative,
    Milestone,
    Pillar,
    Plan,
    ReportingPeriod,
    ScheduleEntry,
    Series,
    SeriesPoint,
    Stage,
    StatusReport,
    StatusReportEvent,
)
from yorisou.reforms.periods import default_deadline, period_code, period_dates

BATCH_SIZE = 2000
FIRST_FY = 2022
# A realistic spread of statuses: most items on plan, a few late or stopped.
_STATUS_MIX = [
    (Status.ON_PLAN, 70),
    (Status.DONE, 10),
    (Status.CHANGED, 12),
    (Status.NOT_STARTED, 5),
    (Status.STOPPED, 3),
]
_REASONS = [
    "国の制度改正の時期が未定のため、実施時期を見直した。",
    "関係部局との調整に時間を要しており、一部の取組が遅れている。",
    "事業の効果を検証した結果、別の手法に切り替えることとした。",
    "予算の確保が次年度となったため、着手を延期した。",
]


def synthetic_plan_create(
    *,
    code: str = "synthetic",
    items: int = 10000,
    indicators: int = 500,
    years: int = 10,
    periods: int = 4,
) -> Plan:
    """Create a made-up reform plan (改革計画) of the given size, all approved.

    ``items`` action items under ``items / 2`` initiatives, spread over the
    city's sections (a small organisation tree is created when there is none);
    ``indicators`` indicators with an actual and a target value for each of
    ``years`` fiscal years; ``periods`` half-year periods, each with an approved
    status report (and its history event) for every item; three monthly series.
    Raises ``ValueError`` if a plan with ``code`` exists.
    """
    if Plan.objects.filter(code=code).exists():
        raise ValueError(f"a plan with code {code!r} exists")
    rng = random.Random(code)  # noqa: S311 (made-up data, not security)
    now = timezone.now()
    with transaction.atomic():
        units, bureaus = _units()
        plan = Plan.objects.create(
            code=code,
            name=f"合成計画 {code}",
            name_en=f"Synthetic plan {code}",
            description="ベンチマーク用の合成データ。",
            start_fy=FIRST_FY,
            end_fy=FIRST_FY + max(years, 1) - 1,
            org_unit=units[0],
            is_sample=True,
        )
        stage_list = Stage.objects.bulk_create(
            Stage(
                plan=plan,
                code=str(n),
                name=f"ステージ{n}",
                name_en=f"Stage {n}",
                start_fy=plan.start_fy,
                end_fy=plan.end_fy,
                sort_order=n,
            )
            for n in range(1, 4)
        )
        pillar_count = max(len(stage_list), min(12, items // 50))
        pillars = Pillar.objects.bulk_create(
            Pillar(
                plan=plan,
                stage=stage_list[n % len(stage_list)],
                code=f"P{n + 1}",
                name=f"推進項目{n + 1}",
                name_en=f"Promotion item {n + 1}",
                sort_order=n + 1,
                is_sample=True,
            )
            for n in range(pillar_count)
        )
        initiative_count = max(1, items // 2)
        initiative_list = Initiative.objects.bulk_create(
            (
                Initiative(
                    plan=plan,
                    pillar=pillars[n % len(pillars)],
                    code=f"I{n + 1:05d}",
                    name=f"取組{n + 1}",
                    name_en=f"Initiative {n + 1}",
                    org_unit=units[n % len(units)],
                    sort_order=n + 1,
                    is_sample=True,
                )
                for n in range(initiative_count)
            ),
            batch_size=BATCH_SIZE,
        )
        item_list = []
        for n in range(items):
            unit = units[n % len(units)]
            item_list.append(
                ActionItem(
                    plan=plan,
                    initiative=initiative_list[n * initiative_count // items],
                    code=f"A{n + 1:05d}",
                    name=f"取組項目{n + 1}",
                    name_en=f"Action item {n + 1}",
                    description="窓口業務の見直しとオンライン化を進める。",
                    org_unit=unit,
                    bureau=bureaus[unit.path.split("/")[0]],
                    weight=Decimal(1 + n % 3),
                    sort_order=n + 1,
                    is_sample=True,
                )
            )
        ActionItem.objects.bulk_create(item_list, batch_size=BATCH_SIZE)
        indicator_list = _indicators(plan, indicators, years, units, rng)
        if indicator_list:
            through = ActionItem.indicators.through
            through.objects.bulk_create(
                (
                    through(
                        actionitem_id=item.pk,
                        indicator_id=indicator_list[n % len(indicator_list)].pk,
                    )
                    for n, item in enumerate(item_list)
                    if n % 2 == 0
                ),
                batch_size=BATCH_SIZE,
            )
        ScheduleEntry.objects.bulk_create(
            (
                ScheduleEntry(
                    item=item, fiscal_year=FIRST_FY, quarter=0, description="準備と調整"
                )
                for item in item_list[::10]
            ),
            batch_size=BATCH_SIZE,
        )
        Milestone.objects.bulk_create(
            (
                Milestone(
                    item=item,
                    title="実施方針の決定",
                    due_on=period_dates(PeriodKind.YEAR, FIRST_FY)[1],
                    done_on=period_dates(PeriodKind.YEAR, FIRST_FY)[1]
                    - timedelta(days=10),
                )
                for item in item_list[::10]
            ),
            batch_size=BATCH_SIZE,
        )
        _reports(plan, item_list, periods, rng, now)
        _series(plan, years, units, rng)
    return plan


def _units() -> tuple[list[OrgUnit], dict[str, OrgUnit]]:
    """Sections to spread items over, and every bureau by code."""
    every = list(OrgUnit.objects.order_by("path"))
    if not every:
        every = _org_tree()
    for level in (OrgLevel.SECTION, OrgLevel.DEPARTMENT, OrgLevel.BUREAU):
        units = [u for u in every if u.level == level]
        if units:
            break
    else:
        units = every
    return units, {u.code: u for u in every}


def _org_tree() -> list[OrgUnit]:
    """Three bureaus, each with two departments of two sections."""
    created: list[OrgUnit] = []
    for b in range(1, 4):
        bureau = OrgUnit.objects.create(
            code=f"B{b}",
            name=f"合成局{b}",
            level=OrgLevel.BUREAU,
            path=f"B{b}",
            is_sample=True,
        )
        created.append(bureau)
        for d in range(1, 3):
            department = OrgUnit.objects.create(
                code=f"B{b}D{d}",
                name=f"合成部{d}",
                level=OrgLevel.DEPARTMENT,
                parent=bureau,
                path=f"B{b}/B{b}D{d}",
                is_sample=True,
            )
            created.append(department)
            sections = OrgUnit.objects.bulk_create(
                OrgUnit(
                    code=f"B{b}D{d}S{s}",
                    name=f"合成課{s}",
                    level=OrgLevel.SECTION,
                    parent=department,
                    path=f"B{b}/B{b}D{d}/B{b}D{d}S{s}",
                    is_sample=True,
                )
                for s in range(1, 3)
            )
            created.extend(sections)
    return created


def _indicators(
    plan: Plan, count: int, years: int, units: list[OrgUnit], rng: random.Random
) -> list[Indicator]:
    indicators = Indicator.objects.bulk_create(
        (
            Indicator(
                plan=plan,
                code=f"K{n + 1:04d}",
                group=f"グループ{n % 5 + 1}",
                name=f"検証指標{n + 1}",
                name_en=f"Indicator {n + 1}",
                unit="%" if n % 2 else "件",
                direction=Direction.HIGHER if n % 3 else Direction.LOWER,
                target_kind=TargetKind.AT_LEAST if n % 3 else TargetKind.AT_MOST,
                baseline_year=FIRST_FY,
                baseline_value=Decimal(rng.randint(100, 9999)) / 10,
                decimals=1,
                org_unit=units[n % len(units)],
                sort_order=n + 1,
                is_sample=True,
            )
            for n in range(count)
        ),
        batch_size=BATCH_SIZE,
    )
    values: list[IndicatorValue] = []
    for indicator in indicators:
        step = Decimal(rng.randint(-20, 40)) / 10
        for offset in range(years):
            fiscal_year = FIRST_FY + offset
            target = indicator.baseline_value + step * (offset + 1) * 2
            actual = indicator.baseline_value + step * offset
            values.append(
                IndicatorValue(
                    indicator=indicator,
                    fiscal_year=fiscal_year,
                    kind=ValueKind.ACTUAL,
                    value=actual,
                )
            )
            values.append(
                IndicatorValue(
                    indicator=indicator,
                    fiscal_year=fiscal_year,
                    kind=ValueKind.TARGET,
                    value=target,
                )
            )
    IndicatorValue.objects.bulk_create(values, batch_size=BATCH_SIZE)
    return indicators


def _reports(
    plan: Plan,
    items: list[ActionItem],
    count: int,
    rng: random.Random,
    now: datetime,
) -> None:
    period_list = []
    for n in range(count):
        kind, fiscal_year, number = PeriodKind.HALF, FIRST_FY + n // 2, n % 2 + 1
        starts_on, ends_on = period_dates(kind, fiscal_year, number)
        period_list.append(
            ReportingPeriod(
                plan=plan,
                code=period_code(kind, fiscal_year, number),
                kind=kind,
                fiscal_year=fiscal_year,
                number=number,
                starts_on=starts_on,
                ends_on=ends_on,
                deadline=default_deadline(ends_on),
                is_closed=n < count - 1,
            )
        )
    ReportingPeriod.objects.bulk_create(period_list)
    statuses = [status for status, _ in _STATUS_MIX]
    weights = [weight for _, weight in _STATUS_MIX]
    reports: list[StatusReport] = []
    for period in period_list:
        for item in items:
            status = rng.choices(statuses, weights)[0]
            reason = "" if status in STATUSES_WITHOUT_REASON else rng.choice(_REASONS)
            progress = 100 if status == Status.DONE else rng.randint(0, 95)
            reports.append(
                StatusReport(
                    item=item,
                    period=period,
                    state=ReportState.APPROVED,
                    status=status,
                    reason=reason,
                    progress=progress,
                    narrative=f"{period.code} の取組状況（{item.code}）",
                    approved_status=status,
                    approved_reason=reason,
                    approved_progress=progress,
                    approved_at=now,
                )
            )
    StatusReport.objects.bulk_create(reports, batch_size=BATCH_SIZE)
    StatusReportEvent.objects.bulk_create(
        (
            StatusReportEvent(
                report=report,
                seq=1,
                action=ReportAction.APPROVE,
                from_state=ReportState.SUBMITTED,
                to_state=ReportState.APPROVED,
                status=report.status,
                reason=report.reason,
                progress=report.progress,
                narrative=report.narrative,
                actor_repr="system",
                created_at=now,
            )
            for report in reports
        ),
        batch_size=BATCH_SIZE,
    )


def _series(plan: Plan, years: int, units: list[OrgUnit], rng: random.Random) -> None:
    series = Series.objects.bulk_create(
        Series(
            plan=plan,
            code=f"{plan.code}-series-{n}",
            name=f"運用指標{n}",
            name_en=f"Operational metric {n}",
            unit="%",
            frequency=Frequency.MONTHLY,
            chart=f"{plan.code}-chart",
            org_unit=units[n % len(units)],
            sort_order=n,
            is_sample=True,
        )
        for n in range(1, 4)
    )
    points: list[SeriesPoint] = []
    for one in series:
        value = Decimal(rng.randint(100, 500)) / 10
        for month in range(12 * max(years, 1)):  # monthly from April of the first
            year, index = divmod(3 + month, 12)
            on = date(FIRST_FY + year, index + 1, 1)
            value += Decimal(rng.randint(-5, 10)) / 10
            points.append(SeriesPoint(series=one, on=on, value=value, origin="seed"))
    SeriesPoint.objects.bulk_create(points, batch_size=BATCH_SIZE)
