"""Writes of the procedure inventory: catalogue edits, candidate selection, BPR
triage decisions, and the KPIs pushed to the reform plan.

Every function checks who may do it (``actor=``), validates, writes in one
transaction with an audit event, and schedules the KPI refresh on commit.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.accounts.models import OrgUnit
from yorisou.core import audit
from yorisou.core.permissions import SYSTEM
from yorisou.procedures import selectors
from yorisou.procedures.constants import (
    Channel,
    TriageClass,
    TriageReason,
    TriageStatus,
)
from yorisou.procedures.models import (
    CandidateSelection,
    MonthlyVolume,
    Procedure,
    ProcedureVolume,
    Tag,
    TriageDecision,
)
from yorisou.procedures.search import search_text_for
from yorisou.reforms import services as reform_services

# The reform plan's series these KPIs feed (created on first push).
SERIES_ONLINE_PROCEDURES = "procedures-online-count"
SERIES_ONLINE_SHARE = "procedures-online-case-share"
SERIES_ONLINE_APPLICATIONS = "procedures-online-applications"

PROCEDURE_FIELDS = [
    "code",
    "name",
    "name_en",
    "kind",
    "org_unit",
    "legal_basis_kind",
    "legal_basis",
    "requires_presence",
    "requires_wet_signature",
    "fee",
    "attachments",
    "assurance",
    "national_26",
    "national_31",
    "keywords",
]
DECISION_FIELDS = [
    "is_candidate",
    "triage_class",
    "reason",
    "reason_text",
    "target_fy",
    "target_quarter",
    "owner",
    "status",
    "done_on",
]


def catalogue_changed() -> None:
    """Schedule, on commit, the refresh of the KPIs the reform plan shows
    (procedures online, online share of cases). Idempotent."""
    from yorisou.procedures import tasks

    transaction.on_commit(lambda: tasks.kpi_publish.delay())


def _bureau_of(unit: OrgUnit) -> OrgUnit:
    code = unit.path.split("/", 1)[0]
    return unit if code == unit.code else OrgUnit.objects.get(code=code)


def procedure_save(
    *,
    actor: Any,
    procedure: Procedure,
    created: bool,
    tags: Iterable[Tag] | None = None,
) -> Procedure:
    """Create or change a procedure of the catalogue (手続台帳の登録・変更).

    Section staff change their own section's procedures; procedure officers those
    of their scope; the reform office and administrators all of them.
    """
    if not selectors.can_edit_procedure(actor, procedure.org_unit):
        raise PermissionDenied
    if not created:
        previous = Procedure.objects.select_related("org_unit").get(pk=procedure.pk)
        if not selectors.can_edit_procedure(actor, previous.org_unit):
            raise PermissionDenied
    if procedure.org_unit.level != "section":
        raise ValidationError({"org_unit": _("Choose a section (課).")})
    procedure.bureau = _bureau_of(procedure.org_unit)
    procedure.search_text = search_text_for(
        name=procedure.name, keywords=procedure.keywords
    )
    procedure.full_clean(exclude=["bureau"])
    with transaction.atomic():
        before: dict[str, Any] = {}
        before_tags: list[str] = []
        if not created:
            locked = Procedure.objects.select_for_update().get(pk=procedure.pk)
            before = audit.snapshot(locked, PROCEDURE_FIELDS)
            before_tags = sorted(locked.tags.values_list("code", flat=True))
        procedure.save()
        changes = audit.diff(before, audit.snapshot(procedure, PROCEDURE_FIELDS))
        if tags is not None:
            chosen = list(tags)
            procedure.tags.set(chosen)
            after_tags = sorted(tag.code for tag in chosen)
            if after_tags != before_tags:
                changes["tags"] = [before_tags, after_tags]
        if changes or created:
            audit.record(
                actor=actor,
                action="procedures.procedure." + ("create" if created else "update"),
                target=procedure,
                changes=changes,
            )
            catalogue_changed()
    return procedure


def procedure_volume_record(
    *, actor: Any, procedure: Procedure, fiscal_year: int, channel: str, cases: int
) -> ProcedureVolume:
    """Record a year's cases through one channel (年間件数), replacing the old one."""
    if not selectors.can_edit_procedure(actor, procedure.org_unit):
        raise PermissionDenied
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose counter, mail or online.")})
    if cases < 0:
        raise ValidationError({"cases": _("Enter a number of 0 or more.")})
    with transaction.atomic():
        volume, created = ProcedureVolume.objects.select_for_update().get_or_create(
            procedure=procedure,
            fiscal_year=fiscal_year,
            channel=channel,
            defaults={"cases": cases},
        )
        if not created and volume.cases == cases:
            return volume
        before = None if created else volume.cases
        if not created:
            volume.cases = cases
            volume.save(update_fields=["cases"])
        audit.record(
            actor=actor,
            action="procedures.volume.record",
            target=procedure,
            changes={f"FY{fiscal_year} {channel}": [before, cases]},
        )
        catalogue_changed()
    return volume


def candidates_select(
    *,
    actor: Any,
    fiscal_year: int,
    min_cases: int,
    include_national: bool = True,
    include_tags: Iterable[Tag] = (),
    note: str = "",
) -> CandidateSelection:
    """Choose the priority candidates by a rule (優先候補の選定) and save the rule.

    A procedure becomes a candidate when it had at least ``min_cases`` cases in
    ``fiscal_year``, or is a national priority procedure (if ``include_national``),
    or carries one of ``include_tags``. Procedures already decided keep their
    decision; the others get a new current decision pointing at this selection.
    """
    if not selectors.can_triage(actor, None):
        raise PermissionDenied
    if min_cases < 0:
        raise ValidationError({"min_cases": _("Enter a number of 0 or more.")})
    tags = list(include_tags)
    with transaction.atomic():
        selection = CandidateSelection.objects.create(
            fiscal_year=fiscal_year,
            min_cases=min_cases,
            include_national=include_national,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=timezone.now(),
        )
        selection.include_tags.set(tags)
        big = (
            ProcedureVolume.objects.filter(fiscal_year=fiscal_year)
            .values("procedure_id")
            .annotate(total=Sum("cases"))
            .filter(total__gte=min_cases)
            .values("procedure_id")
        )
        rule = Q(pk__in=big)
        if include_national:
            rule |= Q(national_26=True) | Q(national_31=True)
        if tags:
            rule |= Q(tags__in=tags)
        chosen = set(Procedure.objects.filter(rule).values_list("pk", flat=True))
        current = {
            d.procedure_id: d
            for d in TriageDecision.objects.select_for_update().filter(
                procedure_id__in=chosen, is_current=True
            )
        }
        now = timezone.now()
        by = selection.created_by
        new_rows = []
        for pk in sorted(chosen):
            decision = current.get(pk)
            if decision is not None and decision.is_candidate:
                continue  # already a candidate (perhaps already triaged)
            if decision is not None:
                decision.is_current = False
                decision.save(update_fields=["is_current"])
            new_rows.append(
                TriageDecision(
                    procedure_id=pk,
                    selection=selection,
                    is_candidate=True,
                    created_by=by,
                    created_at=now,
                )
            )
        TriageDecision.objects.bulk_create(new_rows)
        selection.selected = len(chosen)
        selection.save(update_fields=["selected"])
        audit.record(
            actor=actor,
            action="procedures.candidates.select",
            target=selection,
            changes={
                "rule": [None, selection.rule],
                "tags": [None, sorted(t.code for t in tags)],
                "selected": [None, len(chosen)],
                "new_candidates": [None, len(new_rows)],
            },
        )
        catalogue_changed()
    return selection


def _check_decision(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    triage_class = values.get("triage_class") or ""
    status = values.get("status") or TriageStatus.NOT_STARTED
    if triage_class and triage_class not in TriageClass.values:
        errors["triage_class"] = _("Choose ①, ② or ③.")
    if triage_class and not values.get("reason"):
        errors["reason"] = _("Choose the reason for this classification.")
    elif values.get("reason") and values["reason"] not in TriageReason.values:
        errors["reason"] = _("Choose a reason from the list.")
    if (
        values.get("reason") == TriageReason.OTHER
        and not values.get("reason_text", "").strip()
    ):
        errors["reason_text"] = _("Describe the reason.")
    if status not in TriageStatus.values:
        errors["status"] = _("Choose a status.")
    if status != TriageStatus.NOT_STARTED and triage_class != TriageClass.START_NOW:
        errors["status"] = _("Only ① procedures are put online.")
    if triage_class == TriageClass.START_NOW and not values.get("target_fy"):
        errors["target_fy"] = _("Give the fiscal year it should be online by.")
    quarter = values.get("target_quarter") or 0
    if not 0 <= quarter <= 4:
        errors["target_quarter"] = _("Enter 1–4, or 0 for the whole year.")
    done_on = values.get("done_on")
    if status == TriageStatus.ONLINE and done_on is None:
        errors["done_on"] = _("Give the date it went online.")
    if status != TriageStatus.ONLINE and done_on is not None:
        errors["done_on"] = _("Only a procedure that is online has this date.")
    if done_on is not None and done_on > timezone.localdate():
        errors["done_on"] = _("The date cannot be in the future.")
    if values.get("is_candidate") is False and triage_class:
        errors["triage_class"] = _("Only a candidate is classified.")
    if errors:
        raise ValidationError(errors)


def triage_decide(
    *,
    actor: Any,
    procedure: Procedure,
    is_candidate: bool = True,
    triage_class: str = "",
    reason: str = "",
    reason_text: str = "",
    target_fy: int | None = None,
    target_quarter: int = 0,
    owner: Any = None,
    status: str = TriageStatus.NOT_STARTED,
    done_on: date | None = None,
) -> TriageDecision:
    """Record the BPR decision on a procedure (BPRによる区分の決定・見直し).

    Never edits a decision: a revision adds the new current row and keeps the old
    one as history. Saving what is already current changes nothing (a retry).
    """
    if not selectors.can_triage(actor, procedure.org_unit):
        raise PermissionDenied
    values: dict[str, Any] = {
        "is_candidate": is_candidate,
        "triage_class": triage_class,
        "reason": reason,
        "reason_text": reason_text.strip(),
        "target_fy": target_fy,
        "target_quarter": target_quarter,
        "owner": owner,
        "status": status,
        "done_on": done_on,
    }
    _check_decision(values)
    with transaction.atomic():
        Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
        current = (
            TriageDecision.objects.select_for_update()
            .filter(procedure=procedure, is_current=True)
            .first()
        )
        before = audit.snapshot(current, DECISION_FIELDS) if current else {}
        if current is not None:
            same = all(
                getattr(current, "owner_id" if k == "owner" else k)
                == (v.pk if k == "owner" and v is not None else v)
                for k, v in values.items()
            )
            if same:
                return current
            current.is_current = False
            current.save(update_fields=["is_current"])
        decision = TriageDecision.objects.create(
            procedure=procedure,
            selection=current.selection if current else None,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=timezone.now(),
            **values,
        )
        audit.record(
            actor=actor,
            action="procedures.triage." + ("revise" if current else "decide"),
            target=procedure,
            changes=audit.diff(before, audit.snapshot(decision, DECISION_FIELDS)),
        )
        catalogue_changed()
    return decision


def kpi_publish(*, on: date | None = None) -> bool:
    """Push today's figures to the reform plan through its services (never its
    tables): the number of procedures online and the online share of cases in the
    latest fiscal year with volumes. Returns whether anything was recorded."""
    day = on or timezone.localdate()
    kpis = selectors.online_kpis(as_of=day)
    plan = reform_services.plan_for_series()
    online_count = reform_services.series_define(
        actor=SYSTEM,
        code=SERIES_ONLINE_PROCEDURES,
        name="オンライン化済の手続数",
        name_en="Procedures online",
        unit="件",
        frequency="monthly",
        chart="procedures-online",
        source="手続台帳（BPRによる区分とオンライン化の状況）",
        plan=plan,
    )
    share = reform_services.series_define(
        actor=SYSTEM,
        code=SERIES_ONLINE_SHARE,
        name="電子申請の割合（件数ベース）",
        name_en="Online share of cases",
        unit="%",
        frequency="yearly",
        chart="procedures-online-share",
        source="手続台帳の年間件数（窓口・郵送・電子）",
        plan=plan,
    )
    reform_services.series_point_record(
        actor=SYSTEM,
        series=online_count,
        on=day,
        value=kpis.online_procedures,
        origin="procedures",
    )
    if kpis.share_year is not None and kpis.total_cases:
        share_value = (
            Decimal(kpis.online_cases) * 100 / Decimal(kpis.total_cases)
        ).quantize(Decimal("0.01"))
        reform_services.series_point_record(
            actor=SYSTEM,
            series=share,
            on=date(kpis.share_year + 1, 3, 31),
            value=share_value,
            origin="procedures",
        )
    return True


def monthly_volume_record(
    *, actor: Any, procedure: Procedure, month: date, channel: str, cases: int
) -> MonthlyVolume:
    """Record a month's measured cases through one channel (the online
    applications service pushes its counts here). The fiscal year's volume of
    that channel becomes the sum of its months, so the online share is measured,
    not estimated; the month's total of online applications goes to the reform
    plan's series. Recording the same figure again changes nothing."""
    if not selectors.can_edit_procedure(actor, procedure.org_unit):
        raise PermissionDenied
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose counter, mail or online.")})
    if cases < 0:
        raise ValidationError({"cases": _("Enter a number of 0 or more.")})
    first = month.replace(day=1)
    with transaction.atomic():
        volume, created = MonthlyVolume.objects.select_for_update().get_or_create(
            procedure=procedure, month=first, channel=channel, defaults={"cases": cases}
        )
        if not created and volume.cases == cases:
            return volume
        before = None if created else volume.cases
        if not created:
            volume.cases = cases
            volume.save(update_fields=["cases"])
        audit.record(
            actor=actor,
            action="procedures.monthly_volume.record",
            target=procedure,
            changes={f"{first:%Y-%m} {channel}": [before, cases]},
        )
        fy = selectors.fiscal_year_of(first)
        start, end = date(fy, 4, 1), date(fy + 1, 3, 31)
        year_total = (
            MonthlyVolume.objects.filter(
                procedure=procedure,
                channel=channel,
                month__gte=start,
                month__lte=end,
            ).aggregate(total=Sum("cases"))["total"]
            or 0
        )
        procedure_volume_record(
            actor=actor,
            procedure=procedure,
            fiscal_year=fy,
            channel=channel,
            cases=year_total,
        )
        if channel == Channel.ONLINE:
            month_total = (
                MonthlyVolume.objects.filter(
                    month=first, channel=Channel.ONLINE
                ).aggregate(total=Sum("cases"))["total"]
                or 0
            )
            transaction.on_commit(
                lambda: _online_applications_publish(first, month_total)
            )
    return volume


def _online_applications_publish(month: date, total: int) -> None:
    """The month's online applications as a point of the reform plan's series."""
    plan = reform_services.plan_for_series()
    series = reform_services.series_define(
        actor=SYSTEM,
        code=SERIES_ONLINE_APPLICATIONS,
        name="電子申請の件数（月別）",
        name_en="Online applications per month",
        unit="件",
        frequency="monthly",
        chart="procedures-online-applications",
        source="オンライン申請の受付件数",
        plan=plan,
    )
    last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(
        days=1
    )
    reform_services.series_point_record(
        actor=SYSTEM, series=series, on=last_day, value=total, origin="procedures"
    )
