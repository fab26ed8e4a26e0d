"""Reads of the reform plan: who may do what, rollups, lists, indicator table, series.

Rollups (counts per status, weighted progress) are computed here from the approved
values of status reports, never stored. Every list runs a fixed number of queries
whatever the size of the plan (asserted in the tests).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast

from yorisou.accounts.models import OrgUnit
from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.reforms.achievement import Assessment, assess
from yorisou.reforms.constants import Judgement, ReportState, Status, ValueKind
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
STATUS_VALUES = tuple(Status.values)
ROLLUP_CACHE_SECONDS = 600
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
    """The period a dashboard opens on: the latest closed one (its figures are
    final); without a closed period, the latest one with approved reports."""
    closed = [period for period in periods if period.is_closed]
    if closed:
        return closed[-1]
    with_approved = set(
        StatusReport.objects.filter(period__plan=plan, approved_status__gt="")
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
        default_factory=lambda: dict.fromkeys(STATUS_VALUES, 0)
    )
    not_reported: int = 0
    weight: float = 0.0
    weighted: float = 0.0

    def add(self, status: str | None, n: int, weight: float, weighted: float) -> None:
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
    def item_progress(self) -> float | None:
        """Item-weighted progress (Σ weight × progress / Σ weight) of reported items."""
        return self.weighted / self.weight if self.weight else None

    def get(self, status: str) -> int:
        return self.counts.get(status, 0)


@dataclass(frozen=True)
class InitiativeRef:
    """What a rollup needs of an initiative (no model instance: plans are big)."""

    pk: int
    code: str
    pillar_id: int
    weight: float


@dataclass
class RollupRow:
    """One line of a rollup table: a pillar, initiative, stage or bureau."""

    key: Any
    obj: Any
    counts: StatusCounts
    progress: float | None


@dataclass
class Rollup:
    """Status counts and weighted progress of a plan for one period."""

    period: ReportingPeriod | None
    overall: StatusCounts
    progress: float | None
    stages: list[RollupRow]
    pillars: list[RollupRow]
    initiatives: dict[int, RollupRow]
    bureaus: list[RollupRow]


def _weighted(rows: Iterable[tuple[Any, float | None]]) -> float | None:
    total_weight = 0.0
    total = 0.0
    for weight, progress in rows:
        if progress is None:
            continue
        total_weight += float(weight)
        total += float(weight) * progress
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


def _status_columns() -> dict[str, Any]:
    """Aggregates of an item queryset joined to its report (``rep``): items per
    approved status, all items, Σ weight and Σ weight × progress of reported ones.

    Floats, not decimals: converting thousands of aggregated decimals costs more
    than the query, and progress is shown with one decimal.
    """
    weight = Cast("weight", FloatField())
    reported = Q(rep__approved_progress__isnull=False) & ~Q(rep__approved_status="")
    return {
        **{
            f"n_{status}": Count("id", filter=Q(rep__approved_status=status))
            for status in STATUS_VALUES
        },
        "n_all": Count("id"),
        "ws": Sum(weight, filter=reported),
        "wps": Sum(
            ExpressionWrapper(
                weight * F("rep__approved_progress"), output_field=FloatField()
            ),
            filter=reported,
        ),
    }


def _counts(values: Sequence[Any]) -> StatusCounts:
    """A ``StatusCounts`` from the columns of ``_status_columns`` in order."""
    counts = StatusCounts()
    for index, status in enumerate(STATUS_VALUES):
        counts.counts[status] = int(values[index] or 0)
    n_all = int(values[len(STATUS_VALUES)] or 0)
    counts.not_reported = n_all - counts.reported
    counts.weight = float(values[len(STATUS_VALUES) + 1] or 0.0)
    counts.weighted = float(values[len(STATUS_VALUES) + 2] or 0.0)
    return counts


def _rollup_sql(inner_sql: str, columns: list[str]) -> str:
    """The statement behind ``status_rollup``: ``inner_sql`` (Django's compiled
    item sums per initiative and bureau) summed up per promotion item (kind 0,
    with Σ initiative weight × progress and Σ initiative weight) and per bureau
    (kind 1). Only our own column names are put into the text."""
    sums = ", ".join(f'SUM("{c}") AS "{c}"' for c in columns)
    outer = ", ".join(f'SUM(x."{c}")' for c in columns)
    by_bureau = ", ".join(f'SUM(t."{c}")' for c in columns)
    progress = (
        'SUM(CASE WHEN x."ws" > 0 THEN i."weight" * x."wps" / x."ws" END), '
        'SUM(CASE WHEN x."ws" > 0 THEN i."weight" END)'
    )
    per_initiative = f'SELECT "initiative_id", {sums} FROM t GROUP BY 1'  # noqa: S608
    join = 'JOIN "reforms_initiative" i ON i."id" = x."initiative_id"'
    pillars = f'SELECT 0, i."pillar_id", {outer}, {progress} FROM ({per_initiative}) AS x {join} GROUP BY i."pillar_id"'  # noqa: E501, S608
    nulls = "CAST(NULL AS REAL), CAST(NULL AS REAL)"
    bureaus = (
        f'SELECT 1, t."bureau_id", {by_bureau}, {nulls} FROM t GROUP BY t."bureau_id"'  # noqa: S608
    )
    return f"WITH t AS ({inner_sql}) {pillars} UNION ALL {bureaus}"


def status_rollup(
    *,
    actor: Any,
    plan: Plan,
    period: ReportingPeriod | None,
    filters: ItemFilter = ItemFilter(),
    with_initiatives: bool = False,
) -> Rollup:
    """Counts per status and weighted progress per initiative, promotion item,
    stage, bureau and the whole plan, from the reports approved for ``period``.

    Weighted progress: an initiative's is Σ(item weight × progress) / Σ item weight
    over its items with an approved report; a promotion item's is the same over
    its initiatives (initiative weights), a stage's over its promotion items, the
    plan's over all promotion items (promotion item weights); a bureau's is
    item-weighted. Items without an approved report count as "not reported" and
    are left out of progress.

    The database does the sums (initiatives are summed up into promotion items
    in SQL), so the number of queries and of rows read is fixed whatever the size
    of the plan: five queries, or six ``with_initiatives``; none when the same
    rollup of the same data version was computed before.
    """
    _require_reader(actor, plan)
    # Cached per data version of the plan: any change raises the version, so a
    # cached rollup is never stale, and a dashboard reload costs no rollup query.
    # The filters may hold any text (a search): hash them into a safe key.
    digest = hashlib.sha256(repr((filters, with_initiatives)).encode()).hexdigest()
    period_key = period.pk if period else "-"
    key = f"reforms.rollup:{plan.pk}:{plan.data_version}:{period_key}:{digest[:32]}"
    cached: Rollup | None = cache.get(key)
    if cached is not None:
        return cached
    rollup = _status_rollup(
        plan=plan, period=period, filters=filters, with_initiatives=with_initiatives
    )
    cache.set(key, rollup, ROLLUP_CACHE_SECONDS)
    return rollup


def _status_rollup(
    *,
    plan: Plan,
    period: ReportingPeriod | None,
    filters: ItemFilter,
    with_initiatives: bool,
) -> Rollup:
    items = _with_report(filters.apply(ActionItem.objects.filter(plan=plan)), period)
    columns = _status_columns()
    per_initiative = (
        items.values("initiative_id")
        .annotate(
            pillar=F("initiative__pillar_id"),
            iweight=Cast("initiative__weight", FloatField()),
            **columns,
        )
        .order_by()
    )
    status_names = [f"n_{status}" for status in STATUS_VALUES]
    names = [*status_names, "n_all", "ws", "wps"]
    initiative_rows: dict[int, RollupRow] = {}
    pillar_data: dict[int, tuple[StatusCounts, float | None]] = {}
    if with_initiatives:
        codes = dict(Initiative.objects.filter(plan=plan).values_list("id", "code"))
        children_of: dict[int, list[RollupRow]] = defaultdict(list)
        for typed_row in per_initiative:
            row: dict[str, Any] = dict(typed_row)
            counts = _counts(
                [row[name] for name in [*status_names, "n_all", "ws", "wps"]]
            )
            ref = InitiativeRef(
                row["initiative_id"],
                codes[row["initiative_id"]],
                row["pillar"],
                row["iweight"],
            )
            initiative_rows[ref.pk] = RollupRow(
                ref.pk, ref, counts, counts.item_progress
            )
            children_of[ref.pillar_id].append(initiative_rows[ref.pk])
        for pillar_id, children in children_of.items():
            total = StatusCounts()
            for child in children:
                total.merge(child.counts)
            pillar_data[pillar_id] = (
                total,
                _weighted((c.obj.weight, c.progress) for c in children),
            )
    by_bureau: dict[int, StatusCounts] = {}
    if with_initiatives:
        for bureau_row in items.values("bureau_id").annotate(**columns).order_by():
            values: dict[str, Any] = dict(bureau_row)
            by_bureau[values["bureau_id"]] = _counts([values[n] for n in names])
    else:
        # One scan of the items: sums per (initiative, bureau); from them, in the
        # same statement, initiatives summed up into promotion items (with their
        # weighted progress) and the sums per bureau.
        inner = items.values("initiative_id", "bureau_id").annotate(**columns)
        inner_sql, params = inner.order_by().query.sql_with_params()
        sql = _rollup_sql(inner_sql, [*status_names, "n_all", "ws", "wps"])
        with connection.cursor() as cursor:
            # Only column names of our own and Django's compiled SQL go into the
            # text; every value is a parameter.
            cursor.execute(sql, params)
            for record in cursor.fetchall():
                counts = _counts(record[2:-2])
                if record[0] == 0:
                    weighted_sum, weight_sum = record[-2], record[-1]
                    pillar_data[record[1]] = (
                        counts,
                        float(weighted_sum) / float(weight_sum) if weight_sum else None,
                    )
                else:
                    by_bureau[record[1]] = counts

    pillar_objs = list(Pillar.objects.filter(plan=plan).order_by("sort_order", "code"))
    stage_objs = list(Stage.objects.filter(plan=plan).order_by("sort_order", "code"))
    pillar_rows: list[RollupRow] = []
    for pillar in pillar_objs:
        if filters.pillar and pillar.code != filters.pillar:
            continue
        counts, progress = pillar_data.get(pillar.pk, (StatusCounts(), None))
        pillar_rows.append(RollupRow(pillar.pk, pillar, counts, progress))
    stage_rows: list[RollupRow] = []
    for stage in stage_objs:
        children = [
            r for r in pillar_rows if r.obj.stage_id == stage.pk and r.counts.total
        ]
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
    overall = StatusCounts()
    for counts in by_bureau.values():
        overall.merge(counts)
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
        items = items.filter(Q(report_id__isnull=True) | Q(approved_status=""))
    elif filters.status:
        items = items.filter(approved_status=filters.status)
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


@dataclass
class IndicatorTable:
    """Indicators of a plan: one slice of rows, and the judgements of all of them."""

    rows: list[IndicatorRow]
    total: int
    judgements: dict[str, int]


def indicator_table(
    *,
    actor: Any,
    plan: Plan,
    group: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> IndicatorTable:
    """The plan's indicators, assessed: rows ``offset`` to ``offset + limit`` in
    order, plus how many indicators have each judgement.

    The database picks what the assessment needs (the latest actual, the first
    target from that year on, or the last target); only the rows shown are loaded
    with all their yearly values. Three queries whatever the count.
    """
    _require_reader(actor, plan)
    values = IndicatorValue.objects.filter(indicator=OuterRef("pk"))
    actual = values.filter(
        kind=ValueKind.ACTUAL, fiscal_year__gt=OuterRef("baseline_year")
    ).order_by("-fiscal_year")
    target = values.filter(kind=ValueKind.TARGET)
    next_target = target.filter(fiscal_year__gte=OuterRef("latest_year")).order_by(
        "fiscal_year"
    )
    last_target = target.order_by("-fiscal_year")
    indicators = (
        Indicator.objects.filter(plan=plan)
        .order_by("sort_order", "code")
        .annotate(latest_year=Subquery(actual.values("fiscal_year")[:1]))
        .annotate(
            latest_value=Subquery(actual.values("value")[:1]),
            next_year=Subquery(next_target.values("fiscal_year")[:1]),
            next_value=Subquery(next_target.values("value")[:1]),
            last_year=Subquery(last_target.values("fiscal_year")[:1]),
            last_value=Subquery(last_target.values("value")[:1]),
        )
    )
    if group:
        indicators = indicators.filter(group=group)
    judgements = dict.fromkeys(Judgement.values, 0)
    assessments: list[tuple[int, Assessment]] = []
    for row in indicators.values(
        "id",
        "direction",
        "target_kind",
        "baseline_year",
        "baseline_value",
        "latest_year",
        "latest_value",
        "next_year",
        "next_value",
        "last_year",
        "last_value",
    ):
        data: dict[str, Any] = dict(row)
        targets = {}
        if data["next_year"] is not None:
            targets[data["next_year"]] = data["next_value"]
        elif data["last_year"] is not None:
            targets[data["last_year"]] = data["last_value"]
        assessment = assess(
            direction=data["direction"],
            target_kind=data["target_kind"],
            baseline_year=data["baseline_year"],
            baseline_value=data["baseline_value"],
            actuals=(
                {data["latest_year"]: data["latest_value"]}
                if data["latest_year"] is not None
                else {}
            ),
            targets=targets,
        )
        judgements[assessment.judgement] += 1
        assessments.append((data["id"], assessment))
    shown = assessments[offset : None if limit is None else offset + limit]
    objects = Indicator.objects.select_related("org_unit").in_bulk(
        [pk for pk, _ in shown]
    )
    actuals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    aims: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for indicator_id, year, kind, value in IndicatorValue.objects.filter(
        indicator__in=list(objects)
    ).values_list("indicator_id", "fiscal_year", "kind", "value"):
        (actuals if kind == ValueKind.ACTUAL else aims)[indicator_id][year] = value
    rows = [
        IndicatorRow(objects[pk], actuals.get(pk, {}), aims.get(pk, {}), assessment)
        for pk, assessment in shown
    ]
    return IndicatorTable(rows, len(assessments), judgements)


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

    def rows(self) -> list[tuple[date, list[tuple[Decimal | None, Series]]]]:
        """The data table beside the chart: one row per date, one cell per series
        (the value and its series, for the unit and decimals)."""
        return [
            (day, [(self.values[s.pk].get(day), s) for s in self.series])
            for day in self.dates
        ]


def series_charts(*, actor: Any, plan: Plan, last: int | None = None) -> list[Chart]:
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
        dates = sorted({day for values in chart.values.values() for day in values})
        chart.dates = dates[-last:] if last else dates
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


def approved_statuses_as_of(
    *, actor: Any, plan: Plan, period: ReportingPeriod, at: Any
) -> dict[int, tuple[str, str, int | None]]:
    """Period-exact statuses: for every item, the status, reason and progress as
    last approved at or before ``at`` (from the append-only history), so a report
    on a past period shows what was approved then, even if it changed later."""
    _require_reader(actor, plan)
    events = (
        StatusReportEvent.objects.filter(
            report__period=period,
            report__item__plan=plan,
            to_state=ReportState.APPROVED,
            created_at__lte=at,
        )
        .order_by("report_id", "seq")
        .values_list("report__item_id", "status", "reason", "progress")
    )
    return {
        item: (status, reason, progress) for item, status, reason, progress in events
    }
