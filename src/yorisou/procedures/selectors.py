"""Reads of the procedure inventory: who may do what, catalogue lists, the funnel
and roadmap (every figure computed from the catalogue), and the KPIs."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Max,
    Q,
    QuerySet,
    Sum,
)

from yorisou.accounts.models import OrgUnit, User
from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.dates import fiscal_quarter, fiscal_year
from yorisou.procedures.constants import Channel, TriageClass, TriageStatus
from yorisou.procedures.models import (
    CandidateSelection,
    Procedure,
    ProcedureVolume,
    Tag,
    TriageDecision,
)

# ---------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------


def can_edit_procedure(actor: Any, section: OrgUnit | None) -> bool:
    """Staff of the section itself, procedure officers over it, the reform office
    and administrators may change a procedure."""
    if permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN):
        return True
    if section is None:
        return False
    if permissions.has_role(actor, Role.PROCEDURE_OFFICER, org_unit=section):
        return True
    own = getattr(actor, "org_unit_id", None)
    return (
        own is not None
        and own == section.pk
        and permissions.has_role(actor, Role.STAFF)
    )


def can_triage(actor: Any, section: OrgUnit | None) -> bool:
    """The reform office, administrators and procedure officers (over the
    procedure's section; city-wide ones for a candidate selection) triage."""
    if permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN):
        return True
    if section is None:
        return permissions.scopes_of(actor, Role.PROCEDURE_OFFICER) is None
    return permissions.has_role(actor, Role.PROCEDURE_OFFICER, org_unit=section)


def can_import(actor: Any) -> bool:
    """Who may upload a survey file (rows are checked against their scope)."""
    return permissions.has_role(
        actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN, Role.PROCEDURE_OFFICER
    )


def _rows(values: Any) -> list[dict[str, Any]]:
    """Rows of a ``values()`` queryset as plain dicts."""
    return [dict(row) for row in values]


def _require_staff(actor: Any) -> None:
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied


# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------


def latest_fiscal_year() -> int | None:
    """The latest fiscal year that has volumes."""
    year: int | None = ProcedureVolume.objects.aggregate(year=Max("fiscal_year"))[
        "year"
    ]
    return year


@dataclass(frozen=True)
class ProcedureFilter:
    """Filters of the catalogue and the funnel (all optional)."""

    bureau: str = ""  # bureau code
    section: str = ""  # section code
    tag: str = ""  # tag code (life event or category)
    kind: str = ""
    national: str = ""  # "26" or "31"
    triage_class: str = ""  # a TriageClass value, "candidate" or "none"
    status: str = ""

    def apply(self, procedures: QuerySet[Procedure]) -> QuerySet[Procedure]:
        if self.bureau:
            procedures = procedures.filter(bureau__code=self.bureau)
        if self.section:
            procedures = procedures.filter(org_unit__code=self.section)
        if self.tag:
            procedures = procedures.filter(
                pk__in=Procedure.tags.through.objects.filter(tag__code=self.tag).values(
                    "procedure_id"
                )
            )
        if self.kind:
            procedures = procedures.filter(kind=self.kind)
        if self.national == "26":
            procedures = procedures.filter(national_26=True)
        elif self.national == "31":
            procedures = procedures.filter(national_31=True)
        return procedures


def _with_decision(procedures: QuerySet[Procedure]) -> QuerySet[Procedure]:
    return procedures.annotate(
        current=FilteredRelation("decisions", condition=Q(decisions__is_current=True))
    )


def procedure_list(
    *,
    actor: Any,
    filters: ProcedureFilter = ProcedureFilter(),
    fiscal_year: int | None = None,
) -> QuerySet[Procedure]:
    """The catalogue (staff), filtered, with each procedure's current decision and
    its cases in ``fiscal_year`` (total and online)."""
    _require_staff(actor)
    procedures = _with_decision(filters.apply(Procedure.objects.all())).annotate(
        decision_id=F("current__id"),
        decision_class=F("current__triage_class"),
        decision_status=F("current__status"),
        is_candidate=F("current__is_candidate"),
        target_fy=F("current__target_fy"),
    )
    if filters.triage_class == "candidate":
        procedures = procedures.filter(is_candidate=True)
    elif filters.triage_class == "none":
        procedures = procedures.filter(
            Q(decision_id__isnull=True) | Q(is_candidate=False)
        )
    elif filters.triage_class:
        procedures = procedures.filter(decision_class=filters.triage_class)
    if filters.status:
        procedures = procedures.filter(decision_status=filters.status)
    if fiscal_year is not None:
        procedures = procedures.annotate(
            cases=Sum("volumes__cases", filter=Q(volumes__fiscal_year=fiscal_year)),
            online_cases=Sum(
                "volumes__cases",
                filter=Q(
                    volumes__fiscal_year=fiscal_year,
                    volumes__channel=Channel.ONLINE,
                ),
            ),
        )
    return procedures.select_related("org_unit", "bureau").order_by("code")


def procedure_get(*, actor: Any, code: str) -> Procedure:
    """One procedure with its volumes, tags and decisions (staff)."""
    _require_staff(actor)
    return (
        Procedure.objects.select_related("org_unit", "bureau")
        .prefetch_related("tags", "volumes")
        .get(code=code)
    )


def decision_history(*, actor: Any, procedure: Procedure) -> list[TriageDecision]:
    """Every decision on a procedure, the current one first."""
    _require_staff(actor)
    return list(
        procedure.decisions.select_related("owner", "created_by", "selection").order_by(
            "-is_current", "-created_at", "-id"
        )
    )


def owner_choices(*, procedure: Procedure) -> QuerySet[User]:
    """Who can own a procedure's online-ization: active staff of its bureau."""
    bureau = procedure.bureau
    return User.objects.filter(
        is_active=True,
        org_unit__path__startswith=bureau.path,
    ).order_by("org_unit__path", "username")


def tag_list(*, kind: str = "") -> list[Tag]:
    """Life events and categories, for filters and forms."""
    tags = Tag.objects.all()
    if kind:
        tags = tags.filter(kind=kind)
    return list(tags.order_by("kind", "sort_order", "code"))


def selection_list(*, actor: Any) -> list[CandidateSelection]:
    """Candidate selections, newest first, with their rules."""
    _require_staff(actor)
    return list(
        CandidateSelection.objects.select_related("created_by").prefetch_related(
            "include_tags"
        )
    )


# ---------------------------------------------------------------------------
# Funnel and roadmap
# ---------------------------------------------------------------------------


@dataclass
class Stage:
    """One step of the funnel: procedures and their cases in the fiscal year."""

    key: str
    procedures: int = 0
    cases: int = 0
    share: float | None = None  # of all cases, in %


@dataclass
class RoadmapPeriod:
    """Planned and done ① procedures for one fiscal quarter (cumulative too)."""

    fiscal_year: int
    quarter: int
    planned: int = 0
    done: int = 0
    planned_total: int = 0
    done_total: int = 0


@dataclass
class Funnel:
    """The whole picture of putting procedures online, from the catalogue."""

    fiscal_year: int | None
    all: Stage
    candidates: Stage
    classes: dict[str, Stage]
    unclassified: Stage
    start_now_status: dict[str, int]
    roadmap: list[RoadmapPeriod]
    national_26: dict[str, int] = field(default_factory=dict)
    top_online: list[dict[str, Any]] = field(default_factory=list)


def funnel(
    *,
    actor: Any,
    fiscal_year: int | None = None,
    filters: ProcedureFilter = ProcedureFilter(),
    top: int = 20,
) -> Funnel:
    """All procedures and cases → candidates → ① / ② / ③, the roadmap of ①, the
    coverage of the national 26 procedures and the procedures with the highest
    online share. A fixed number of queries whatever the catalogue's size."""
    _require_staff(actor)
    year = fiscal_year or funnel_default_year() or 0
    procedures = filters.apply(Procedure.objects.all())
    filtered = filters != ProcedureFilter()
    all_stage = Stage("all", procedures=procedures.count())
    volumes = ProcedureVolume.objects.filter(fiscal_year=year)
    decisions = TriageDecision.objects.filter(is_current=True, is_candidate=True)
    if filtered:  # without filters, no join with the whole catalogue
        volumes = volumes.filter(procedure__in=procedures.values("pk"))
        decisions = decisions.filter(procedure__in=procedures.values("pk"))
    all_stage.cases = volumes.aggregate(n=Sum("cases"))["n"] or 0

    counts = decisions.values("triage_class", "status").annotate(n=Count("id"))
    cases = (
        volumes.filter(
            procedure__decisions__is_current=True,
            procedure__decisions__is_candidate=True,
        )
        .values(triage=F("procedure__decisions__triage_class"))
        .annotate(n=Sum("cases"))
    )
    classes = {key: Stage(key) for key in TriageClass.values}
    unclassified = Stage("unclassified")
    candidates = Stage("candidates")
    start_now_status = dict.fromkeys(TriageStatus.values, 0)
    for row in _rows(counts):
        stage = classes.get(row["triage_class"] or "", unclassified)
        stage.procedures += row["n"]
        candidates.procedures += row["n"]
        if row["triage_class"] == TriageClass.START_NOW:
            start_now_status[row["status"]] += row["n"]
    for row in _rows(cases):
        stage = classes.get(row["triage"] or "", unclassified)
        stage.cases += row["n"] or 0
        candidates.cases += row["n"] or 0
    for stage in [all_stage, candidates, unclassified, *classes.values()]:
        if all_stage.cases:
            stage.share = stage.cases * 100 / all_stage.cases

    start_now = decisions.filter(triage_class=TriageClass.START_NOW)
    planned = start_now.values("target_fy", "target_quarter").annotate(n=Count("id"))
    done = start_now.filter(status=TriageStatus.ONLINE).values_list(
        "done_on", flat=True
    )
    periods: dict[tuple[int, int], RoadmapPeriod] = {}

    def period(fy: int, quarter: int) -> RoadmapPeriod:
        return periods.setdefault((fy, quarter), RoadmapPeriod(fy, quarter))

    for row in _rows(planned):
        if row["target_fy"]:
            quarter = row["target_quarter"] or 4  # "the whole year": by its end
            period(row["target_fy"], quarter).planned += row["n"]
    done_by: dict[tuple[int, int], int] = defaultdict(int)
    for day in done:
        if day is not None:
            done_by[(fiscal_year_of(day), fiscal_quarter(day))] += 1
    for key, n in done_by.items():
        period(*key).done += n
    roadmap = [periods[key] for key in sorted(periods)]
    planned_total = done_total = 0
    for step in roadmap:
        planned_total += step.planned
        done_total += step.done
        step.planned_total, step.done_total = planned_total, done_total

    national = (
        _with_decision(procedures.filter(national_26=True))
        .values(status=F("current__status"), triage=F("current__triage_class"))
        .annotate(n=Count("id"))
    )
    national_26 = {"total": 0, "online": 0, "start_now": 0}
    for row in _rows(national):
        national_26["total"] += row["n"]
        if row["status"] == TriageStatus.ONLINE:
            national_26["online"] += row["n"]
        if row["triage"] == TriageClass.START_NOW:
            national_26["start_now"] += row["n"]

    # The procedures with the most online cases: the top rows straight from the
    # (fiscal_year, channel, cases) index, then their totals.
    leaders = list(
        volumes.filter(channel=Channel.ONLINE, cases__gt=0)
        .order_by("-cases", "procedure_id")
        .values_list("procedure_id", "cases")[:top]
    )
    totals = {
        row["procedure_id"]: row
        for row in _rows(
            ProcedureVolume.objects.filter(
                fiscal_year=year, procedure_id__in=[pk for pk, _ in leaders]
            )
            .values("procedure_id", "procedure__code", "procedure__name")
            .annotate(total=Sum("cases"))
        )
    }
    top_online: list[dict[str, Any]] = []
    for pk, online in leaders:
        row = totals[pk]
        row["online"] = online
        row["share"] = online * 100 / row["total"] if row["total"] else None
        top_online.append(row)
    return Funnel(
        fiscal_year=year,
        all=all_stage,
        candidates=candidates,
        classes=classes,
        unclassified=unclassified,
        start_now_status=start_now_status,
        roadmap=roadmap,
        national_26=national_26,
        top_online=top_online,
    )


def funnel_default_year() -> int | None:
    """The year whose cases the funnel shows by default: the year the latest
    candidate selection was based on (the triage compares with it), else the
    latest year with volumes."""
    selection = CandidateSelection.objects.order_by("-created_at").first()
    return selection.fiscal_year if selection else latest_fiscal_year()


def volume_years() -> list[int]:
    """Fiscal years that have volumes, newest first."""
    return sorted(
        ProcedureVolume.objects.values_list("fiscal_year", flat=True).distinct(),
        reverse=True,
    )


def fiscal_year_of(day: date) -> int:
    """The fiscal year of a date (April–March)."""
    return fiscal_year(day)


# ---------------------------------------------------------------------------
# KPIs for the reform plan
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineKpis:
    """What the reform plan is told about putting procedures online."""

    online_procedures: int
    share_year: int | None
    online_cases: int
    total_cases: int


def online_kpis(*, as_of: date) -> OnlineKpis:
    """Procedures online by ``as_of``, and the online share of cases in the
    latest fiscal year that has volumes."""
    online = TriageDecision.objects.filter(
        is_current=True, status=TriageStatus.ONLINE, done_on__lte=as_of
    ).count()
    year = latest_fiscal_year()
    if year is None:
        return OnlineKpis(online, None, 0, 0)
    volumes = ProcedureVolume.objects.filter(fiscal_year=year)
    total = volumes.aggregate(n=Sum("cases"))["n"] or 0
    online_cases = (
        volumes.filter(channel=Channel.ONLINE).aggregate(n=Sum("cases"))["n"] or 0
    )
    return OnlineKpis(online, year, online_cases, total)


def procedure_search_public(*, query: str, among: Iterable[int]) -> list[Procedure]:
    """Procedures among ``among`` (ids) that match ``query``, best first. For the
    citizen portal: names and readings of procedures are public information."""
    from yorisou.procedures.search import search

    return search(Procedure.objects.filter(pk__in=list(among)), query)
