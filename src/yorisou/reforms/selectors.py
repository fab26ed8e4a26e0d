"""Reads of the reform plan: who may do what, rollups, lists, indicator table, series.

Rollups (counts per status, weighted progress) are computed here from the approved
values of status reports, never stored. Every list runs a fixed number of queries
whatever the size of the plan (asserted in the tests).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)

from yorisou.accounts.models import OrgUnit
from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.reforms.achievement import Assessment, assess
from yorisou.reforms.constants import ReportState, Status, ValueKind
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    IndicatorValue,
    Initiative,
    Pillar,
    Plan,
    ReportingPeriod,
    Series,
    SeriesPoint,
    Stage,
    StatusReport,
    StatusReportEvent,
)

NOT_REPORTED = "not_reported"
# Reminders start this many days before a period's deadline.
REMINDER_DAYS = 7

# ---------------------------------------------------------------------------
# Who may do what (services call the same functions)
# ---------------------------------------------------------------------------


def _bureau_code(unit: OrgUnit | None) -> str:
    return unit.path.split("/", 1)[0] if unit is not None else ""


def can_edit_structure(actor: Any) -> bool:
    """The reform office (and system administrators) shape plans and indicators."""
    return permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)


def can_review(actor: Any) -> bool:
    """The reform office approves or returns submitted reports."""
    return permissions.has_role(actor, Role.REFORM_OFFICE)


def can_submit(actor: Any, item: ActionItem) -> bool:
    """The reform lead of the item's bureau (or a unit above it) submits."""
    return permissions.has_role(actor, Role.BUREAU_REFORM_LEAD, org_unit=item.org_unit)


def can_draft(actor: Any, item: ActionItem) -> bool:
    """Staff of the item's bureau, and its reform lead, write drafts."""
    if can_submit(actor, item):
        return True
    unit = getattr(actor, "org_unit", None)
    return (
        unit is not None
        and permissions.has_role(actor, Role.STAFF)
        and _bureau_code(unit) == _bureau_code(item.org_unit)
    )


def can_record_indicator(actor: Any, indicator: Indicator) -> bool:
    """The reform office, or the reform lead over the indicator's section."""
    if permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN):
        return True
    return indicator.org_unit is not None and permissions.has_role(
        actor, Role.BUREAU_REFORM_LEAD, org_unit=indicator.org_unit
    )


# ---------------------------------------------------------------------------
# Plans and periods
# ---------------------------------------------------------------------------


def plan_list(*, actor: Any) -> QuerySet[Plan]:
    """Plans the actor may read: every plan for staff, published ones for others."""
    plans = Plan.objects.all()
    if not permissions.is_staff_member(actor):
        plans = plans.filter(is_public=True)
    return plans.order_by("-end_fy", "code")


def plan_get(*, actor: Any, code: str) -> Plan:
    """One readable plan by code (else ``Plan.DoesNotExist``, even if it exists)."""
    return plan_list(actor=actor).get(code=code)


def period_list(*, plan: Plan) -> list[ReportingPeriod]:
    """The plan's reporting periods, oldest first."""
    return list(plan.periods.order_by("ends_on", "kind"))


def period_default(
    periods: list[ReportingPeriod], *, plan: Plan
) -> ReportingPeriod | None:
    """The period a dashboard opens on: the latest one with approved reports."""
    with_approved = set(
        StatusReport.objects.filter(period__plan=plan)
        .exclude(approved_status="")
        .values_list("period_id", flat=True)
        .distinct()
    )
    for period in reversed(periods):
        if period.pk in with_approved:
            return period
    return periods[-1] if periods else None


def period_open_list(*, plan: Plan) -> list[ReportingPeriod]:
    """Periods still taking reports, the one with the nearest deadline first."""
    return list(plan.periods.filter(is_closed=False).order_by("deadline"))


# ---------------------------------------------------------------------------
# Rollups
# ---------------------------------------------------------------------------


@dataclass
class StatusCounts:
    """Counts per approved status, and the weights behind the weighted progress."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(Status.values, 0)
    )
    not_reported: int = 0
    weight: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    def add(
        self, status: str | None, n: int, weight: Decimal, weighted: Decimal
    ) -> None:
        if status:
            self.counts[status] += n
            self.weight += weight
            self.weighted += weighted
        else:
            self.not_reported += n

    def merge(self, other: "StatusCounts") -> None:
        for key, value in other.counts.items():
            self.counts[key] += value
        self.not_reported += other.not_reported
        self.weight += other.weight
        self.weighted += other.weighted

    @property
    def reported(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        return self.reported + self.not_reported

    @property
    def item_progress(self) -> Decimal | None:
        """Item-weighted progress (Σ weight × progress / Σ weight) of reported items."""
        return self.weighted / self.weight if self.weight else None

    def get(self, status: str) -> int:
        return self.counts.get(status, 0)


@dataclass
class RollupRow:
    """One line of a rollup table: a pillar, initiative, stage or bureau."""

    key: Any
    obj: Any
    counts: StatusCounts
    progress: Decimal | None


@dataclass
class Rollup:
    """Status counts and weighted progress of a plan for one period."""

    period: ReportingPeriod | None
    overall: StatusCounts
    progress: Decimal | None
    stages: list[RollupRow]
    pillars: list[RollupRow]
    initiatives: dict[int, RollupRow]
    bureaus: list[RollupRow]


def _weighted(rows: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    total_weight = Decimal(0)
    total = Decimal(0)
    for weight, progress in rows:
        if progress is None:
            continue
        total_weight += weight
        total += weight * progress
    return total / total_weight if total_weight else None


@dataclass(frozen=True)
class ItemFilter:
    """Filters of the dashboard and item lists (all optional)."""

    bureau: str = ""  # bureau code
    pillar: str = ""  # pillar code
    initiative: str = ""  # initiative code
    status: str = ""  # a Status value or NOT_REPORTED
    query: str = ""

    def apply(self, items: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
        if self.bureau:
            items = items.filter(bureau__code=self.bureau)
        if self.pillar:
            items = items.filter(initiative__pillar__code=self.pillar)
        if self.initiative:
            items = items.filter(initiative__code=self.initiative)
        if self.query:
            items = items.filter(
                Q(code__startswith=self.query)
                | Q(name__icontains=self.query)
                | Q(name_en__icontains=self.query)
            )
        return items


def _with_report(
    items: QuerySet[ActionItem], period: ReportingPeriod | None
) -> QuerySet[ActionItem]:
    return items.annotate(
        rep=FilteredRelation(
            "status_reports",
            condition=Q(status_reports__period=period.pk if period else None),
        )
    )


def status_rollup(
    *,
    actor: Any,
    plan: Plan,
    period: ReportingPeriod | None,
    filters: ItemFilter = ItemFilter(),
) -> Rollup:
    """Counts per status and weighted progress per initiative, promotion item,
    stage, bureau and the whole plan, from the reports approved for ``period``.

    Weighted progress: an initiative's is Σ(item weight × progress) / Σ item weight
    over its items with an approved report; a promotion item's is the same over
    its initiatives (initiative weights), a stage's over its promotion items, the
    plan's over all promotion items (promotion item weights); a bureau's is
    item-weighted. Items without an approved report count as "not reported" and
    are left out of progress. Runs five queries whatever the plan's size.
    """
    _require_reader(actor, plan)
    items = filters.apply(ActionItem.objects.filter(plan=plan))
    weighted = ExpressionWrapper(
        F("weight") * F("rep__approved_progress"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    rows = (
        _with_report(items, period)
        .values("initiative_id", "bureau_id", status=F("rep__approved_status"))
        .annotate(n=Count("id"), w=Sum("weight"), wp=Sum(weighted))
        .order_by()
    )
    by_initiative: dict[int, StatusCounts] = defaultdict(StatusCounts)
    by_bureau: dict[int, StatusCounts] = defaultdict(StatusCounts)
    overall = StatusCounts()
    for row in rows:
        status = row["status"] or None
        for target in (
            by_initiative[row["initiative_id"]],
            by_bureau[row["bureau_id"]],
            overall,
        ):
            target.add(
                status, row["n"], row["w"] or Decimal(0), row["wp"] or Decimal(0)
            )

    initiatives = {
        initiative.pk: initiative
        for initiative in Initiative.objects.filter(pk__in=list(by_initiative)).only(
            "id", "code", "name", "name_en", "pillar_id", "weight", "sort_order"
        )
    }
    initiative_rows = {
        pk: RollupRow(pk, initiatives[pk], counts, counts.item_progress)
        for pk, counts in by_initiative.items()
    }
    pillar_objs = list(Pillar.objects.filter(plan=plan).order_by("sort_order", "code"))
    stage_objs = list(Stage.objects.filter(plan=plan).order_by("sort_order", "code"))
    pillar_rows: list[RollupRow] = []
    for pillar in pillar_objs:
        counts = StatusCounts()
        children = [r for r in initiative_rows.values() if r.obj.pillar_id == pillar.pk]
        for child in children:
            counts.merge(child.counts)
        if filters.pillar and pillar.code != filters.pillar:
            continue
        pillar_rows.append(
            RollupRow(
                pillar.pk,
                pillar,
                counts,
                _weighted((c.obj.weight, c.progress) for c in children),
            )
        )
    stage_rows: list[RollupRow] = []
    for stage in stage_objs:
        children = [r for r in pillar_rows if r.obj.stage_id == stage.pk]
        if not children:
            continue
        counts = StatusCounts()
        for child in children:
            counts.merge(child.counts)
        stage_rows.append(
            RollupRow(
                stage.pk,
                stage,
                counts,
                _weighted((c.obj.weight, c.progress) for c in children),
            )
        )
    bureaus = OrgUnit.objects.in_bulk(list(by_bureau))
    bureau_rows = sorted(
        (
            RollupRow(pk, bureaus[pk], counts, counts.item_progress)
            for pk, counts in by_bureau.items()
        ),
        key=lambda r: (r.obj.sort_order, r.obj.code),
    )
    return Rollup(
        period=period,
        overall=overall,
        progress=_weighted(
            (r.obj.weight, r.progress) for r in pillar_rows if r.counts.total
        ),
        stages=stage_rows,
        pillars=[r for r in pillar_rows if r.counts.total],
        initiatives=initiative_rows,
        bureaus=bureau_rows,
    )


def _require_reader(actor: Any, plan: Plan) -> None:
    if not (plan.is_public or permissions.is_staff_member(actor)):
        raise permissions.PermissionDenied


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------


def action_item_list(
    *,
    actor: Any,
    plan: Plan,
    period: ReportingPeriod | None,
    filters: ItemFilter = ItemFilter(),
) -> QuerySet[ActionItem]:
    """Action items with their report for ``period`` (state, status, approved values).

    The status filter applies to the approved status, the one rollups count.
    """
    _require_reader(actor, plan)
    items = _with_report(filters.apply(ActionItem.objects.filter(plan=plan)), period)
    items = items.annotate(
        report_id=F("rep__id"),
        report_state=F("rep__state"),
        report_status=F("rep__status"),
        approved_status=F("rep__approved_status"),
        approved_progress=F("rep__approved_progress"),
        approved_reason=F("rep__approved_reason"),
    )
    if filters.status == NOT_REPORTED:
        items = items.filter(Q(rep__id__isnull=True) | Q(rep__approved_status=""))
    elif filters.status:
        items = items.filter(rep__approved_status=filters.status)
    return items.select_related(
        "initiative", "initiative__pillar", "org_unit", "bureau"
    ).order_by("sort_order", "code")


def action_item_get(*, actor: Any, plan: Plan, code: str) -> ActionItem:
    """One action item with what its page shows (schedule, milestones, indicators)."""
    _require_reader(actor, plan)
    return (
        ActionItem.objects.select_related(
            "initiative",
            "initiative__pillar",
            "initiative__pillar__stage",
            "org_unit",
            "bureau",
            "plan",
        )
        .prefetch_related("schedule", "milestones", "indicators")
        .get(plan=plan, code=code)
    )


def status_report_list_for_item(*, actor: Any, item: ActionItem) -> list[StatusReport]:
    """Every period's report of an item, newest period first, with its history."""
    _require_reader(actor, item.plan)
    return list(
        item.status_reports.select_related("period", "updated_by")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=StatusReportEvent.objects.select_related("actor").order_by(
                    "seq"
                ),
            )
        )
        .order_by("-period__ends_on")
    )


def status_report_get(*, actor: Any, pk: int) -> StatusReport:
    """A report by id, if the actor may see it (staff only)."""
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    return StatusReport.objects.select_related(
        "item", "item__plan", "item__org_unit", "item__bureau", "period"
    ).get(pk=pk)


def pillar_get(*, actor: Any, plan: Plan, code: str) -> Pillar:
    """A promotion item of a readable plan."""
    _require_reader(actor, plan)
    return Pillar.objects.select_related("stage").get(plan=plan, code=code)


def initiative_list(
    *, actor: Any, plan: Plan, pillar: Pillar | None = None
) -> QuerySet[Initiative]:
    """Initiatives of a plan (or of one promotion item) in order."""
    _require_reader(actor, plan)
    initiatives = Initiative.objects.filter(plan=plan).select_related("org_unit")
    if pillar is not None:
        initiatives = initiatives.filter(pillar=pillar)
    return initiatives.order_by("sort_order", "code")


def bureau_choices(*, plan: Plan) -> list[OrgUnit]:
    """Bureaus that own at least one action item of the plan (for filters)."""
    return list(
        OrgUnit.objects.filter(
            pk__in=ActionItem.objects.filter(plan=plan).values("bureau_id")
        ).order_by("sort_order", "code")
    )


# ---------------------------------------------------------------------------
# Work lists
# ---------------------------------------------------------------------------


def _actor_item_scope(actor: Any) -> Q | None:
    """Items an actor reports on: their bureau (staff) and their scopes (leads)."""
    condition = Q(pk__in=[])
    anything = False
    scopes = permissions.scopes_of(actor, Role.BUREAU_REFORM_LEAD)
    if scopes is None:
        return Q()
    for scope in scopes:
        condition |= Q(org_unit__path=scope) | Q(org_unit__path__startswith=scope + "/")
        anything = True
    unit = getattr(actor, "org_unit", None)
    if unit is not None and permissions.has_role(actor, Role.STAFF):
        condition |= Q(bureau__code=_bureau_code(unit))
        anything = True
    return condition if anything else None


# Order of a worklist: what needs doing first.
_WORK_ORDER = {
    ReportState.RETURNED: 0,
    None: 1,
    ReportState.DRAFT: 2,
    ReportState.SUBMITTED: 3,
    ReportState.APPROVED: 4,
}


def worklist(*, actor: Any, plan: Plan, period: ReportingPeriod) -> list[ActionItem]:
    """ "My items to update": the items of the actor's bureau or scope with their
    report state for ``period`` — returned first, then not reported, drafts, ..."""
    scope = _actor_item_scope(actor)
    if scope is None:
        return []
    items = list(action_item_list(actor=actor, plan=plan, period=period).filter(scope))
    items.sort(
        key=lambda item: (
            _WORK_ORDER.get(getattr(item, "report_state", None), 1),
            item.sort_order,
            item.code,
        )
    )
    return items


def review_queue(
    *, actor: Any, plan: Plan, period: ReportingPeriod | None = None
) -> QuerySet[StatusReport]:
    """Submitted reports waiting for the reform office, oldest submission first."""
    if not can_review(actor):
        raise permissions.PermissionDenied
    reports = StatusReport.objects.filter(
        item__plan=plan, state=ReportState.SUBMITTED
    ).select_related(
        "item", "item__org_unit", "item__bureau", "item__initiative", "period"
    )
    if period is not None:
        reports = reports.filter(period=period)
    return reports.order_by("updated_at", "id")


@dataclass(frozen=True)
class DueReminder:
    """A bureau that still owes reports for a period."""

    period: ReportingPeriod
    bureau: OrgUnit
    kind: str  # "due_soon" or "overdue"
    missing: int


def reminders_due(*, today: date) -> list[DueReminder]:
    """Bureaus with reports not yet submitted, for open periods near their deadline."""
    periods = list(
        ReportingPeriod.objects.filter(
            is_closed=False, deadline__lte=today + timedelta(days=REMINDER_DAYS)
        ).select_related("plan")
    )
    due: list[DueReminder] = []
    for period in periods:
        done = StatusReport.objects.filter(
            period=period, state__in=[ReportState.SUBMITTED, ReportState.APPROVED]
        ).values("item_id")
        missing = (
            ActionItem.objects.filter(plan=period.plan)
            .exclude(pk__in=done)
            .values("bureau_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts = {row["bureau_id"]: row["n"] for row in missing}
        bureaus = OrgUnit.objects.in_bulk(list(counts))
        kind = "overdue" if today > period.deadline else "due_soon"
        for bureau_id, n in sorted(counts.items()):
            due.append(DueReminder(period, bureaus[bureau_id], kind, n))
    return due


# ---------------------------------------------------------------------------
# Indicators and series
# ---------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    """An indicator with its yearly values and its assessment."""

    indicator: Indicator
    actuals: dict[int, Decimal]
    targets: dict[int, Decimal]
    assessment: Assessment

    @property
    def years(self) -> list[int]:
        return sorted(set(self.actuals) | set(self.targets))


def indicator_table(*, actor: Any, plan: Plan, group: str = "") -> list[IndicatorRow]:
    """Every indicator of a plan, assessed (two queries whatever the count)."""
    _require_reader(actor, plan)
    indicators = (
        Indicator.objects.filter(plan=plan)
        .select_related("org_unit")
        .prefetch_related(
            Prefetch("values", queryset=IndicatorValue.objects.order_by("fiscal_year"))
        )
        .order_by("sort_order", "code")
    )
    if group:
        indicators = indicators.filter(group=group)
    table: list[IndicatorRow] = []
    for indicator in indicators:
        actuals = {
            v.fiscal_year: v.value
            for v in indicator.values.all()
            if v.kind == ValueKind.ACTUAL
        }
        targets = {
            v.fiscal_year: v.value
            for v in indicator.values.all()
            if v.kind == ValueKind.TARGET
        }
        table.append(
            IndicatorRow(
                indicator,
                actuals,
                targets,
                assess(
                    direction=indicator.direction,
                    target_kind=indicator.target_kind,
                    baseline_year=indicator.baseline_year,
                    baseline_value=indicator.baseline_value,
                    actuals=actuals,
                    targets=targets,
                ),
            )
        )
    return table


def indicator_get(*, actor: Any, plan: Plan, code: str) -> IndicatorRow:
    """One indicator, assessed, with its values."""
    _require_reader(actor, plan)
    indicator = Indicator.objects.select_related("org_unit").get(plan=plan, code=code)
    values = list(indicator.values.order_by("fiscal_year", "kind"))
    actuals = {v.fiscal_year: v.value for v in values if v.kind == ValueKind.ACTUAL}
    targets = {v.fiscal_year: v.value for v in values if v.kind == ValueKind.TARGET}
    return IndicatorRow(
        indicator,
        actuals,
        targets,
        assess(
            direction=indicator.direction,
            target_kind=indicator.target_kind,
            baseline_year=indicator.baseline_year,
            baseline_value=indicator.baseline_value,
            actuals=actuals,
            targets=targets,
        ),
    )


@dataclass
class Chart:
    """Series drawn together: dates on one axis, one line per series."""

    key: str
    series: list[Series]
    dates: list[date]
    values: dict[int, dict[date, Decimal]]  # series id → date → value

    @property
    def unit(self) -> str:
        return self.series[0].unit if self.series else ""

    def rows(self) -> list[tuple[date, list[Decimal | None]]]:
        """The data table beside the chart: one row per date, one cell per series."""
        return [
            (day, [self.values[s.pk].get(day) for s in self.series])
            for day in self.dates
        ]


def series_charts(*, actor: Any, plan: Plan) -> list[Chart]:
    """The plan's operational series grouped into charts (two queries)."""
    _require_reader(actor, plan)
    series = list(
        Series.objects.filter(plan=plan)
        .prefetch_related(
            Prefetch("points", queryset=SeriesPoint.objects.order_by("on"))
        )
        .order_by("sort_order", "code")
    )
    charts: dict[str, Chart] = {}
    for one in series:
        key = one.chart or one.code
        chart = charts.setdefault(key, Chart(key, [], [], {}))
        chart.series.append(one)
        chart.values[one.pk] = {p.on: p.value for p in one.points.all()}
    for chart in charts.values():
        chart.dates = sorted(
            {day for values in chart.values.values() for day in values}
        )
    return list(charts.values())


def series_get(*, actor: Any, code: str) -> Series:
    """One series with its points (staff only; public views go through charts)."""
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    return Series.objects.select_related("plan", "org_unit").get(code=code)


def series_list(*, actor: Any, plan: Plan) -> QuerySet[Series]:
    """The series shown on a plan."""
    _require_reader(actor, plan)
    return (
        Series.objects.filter(plan=plan)
        .annotate(point_count=Count("points"))
        .order_by("sort_order", "code")
    )
