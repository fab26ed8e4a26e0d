"""Writes of the reform plan: structure, status reports and their review, indicator
values, time series.

Every function checks who may do it (``actor=``), validates, writes in one
transaction, records an audit event with a readable diff, and schedules its side
effects (notification emails) on commit. Rollups are never written: selectors
compute them from approved status reports.
"""

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.accounts import selectors as account_selectors
from yorisou.accounts.models import OrgUnit
from yorisou.core import audit, permissions
from yorisou.core.constants import Role
from yorisou.reforms import selectors
from yorisou.reforms.constants import (
    STATUSES_WITHOUT_REASON,
    TRANSITIONS,
    ReportAction,
    ReportState,
    Status,
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
from yorisou.reforms.periods import default_deadline, parse_period_code, period_dates

M = TypeVar("M", bound=models.Model)

# Fields recorded in the audit trail per kind (what a person would call a change).
STRUCTURE_FIELDS: dict[type[models.Model], list[str]] = {
    Plan: [
        "code",
        "name",
        "name_en",
        "description",
        "start_fy",
        "end_fy",
        "stage_label",
        "pillar_label",
        "initiative_label",
        "item_label",
        "stage_label_en",
        "pillar_label_en",
        "initiative_label_en",
        "item_label_en",
        "org_unit",
        "is_public",
    ],
    Stage: ["code", "name", "name_en", "goal", "start_fy", "end_fy", "sort_order"],
    Pillar: ["code", "stage", "name", "name_en", "aim", "weight", "sort_order"],
    Initiative: [
        "code",
        "pillar",
        "name",
        "name_en",
        "description",
        "org_unit",
        "weight",
        "sort_order",
    ],
    ActionItem: [
        "code",
        "initiative",
        "name",
        "name_en",
        "description",
        "org_unit",
        "weight",
        "sort_order",
    ],
    Indicator: [
        "code",
        "group",
        "name",
        "name_en",
        "unit",
        "direction",
        "target_kind",
        "baseline_year",
        "baseline_value",
        "decimals",
        "source",
        "org_unit",
        "notes",
        "sort_order",
    ],
    Series: [
        "code",
        "plan",
        "name",
        "name_en",
        "unit",
        "frequency",
        "chart",
        "decimals",
        "source",
        "org_unit",
        "notes",
        "sort_order",
    ],
}


def plan_changed(*, plan_id: int) -> None:
    """Raise the plan's data version (in the caller's transaction), so that cached
    rollups of the old data are never read again. Every write that can change a
    rollup calls it; so does the Excel import."""
    Plan.objects.filter(pk=plan_id).update(data_version=F("data_version") + 1)


_PLAN_SAVED_FIELDS = [
    field.name
    for field in Plan._meta.concrete_fields
    if field.name not in ("id", "data_version", "created_at")
]


def _require_editor(actor: Any) -> None:
    """Only the reform office (and system administrators) shape a plan."""
    permissions.require_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)


def _label(instance: models.Model) -> str:
    return str(instance._meta.model_name)


def _save_structure(
    *, actor: Any, instance: M, created: bool, extra_checks: Any = None
) -> M:
    fields = STRUCTURE_FIELDS[type(instance)]
    instance.full_clean()
    with transaction.atomic():
        before: dict[str, Any] = {}
        if not created:
            previous = (
                type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            )
            before = audit.snapshot(previous, fields)
        try:
            with transaction.atomic():
                if isinstance(instance, Plan) and not created:
                    # Never write back a data version read before this change.
                    instance.save(update_fields=_PLAN_SAVED_FIELDS)
                else:
                    instance.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"code": _("This code is already used in this plan.")}
            ) from exc
        changes = audit.diff(before, audit.snapshot(instance, fields))
        plan_id = instance.pk if isinstance(instance, Plan) else None
        plan_id = plan_id or getattr(instance, "plan_id", None)
        if plan_id and (changes or created):
            plan_changed(plan_id=plan_id)
        if changes or created:
            audit.record(
                actor=actor,
                action=f"reforms.{_label(instance)}."
                + ("create" if created else "update"),
                target=instance,
                changes=changes,
            )
    return instance


def plan_save(*, actor: Any, plan: Plan, created: bool) -> Plan:
    """Create or change a reform plan (改革計画) and the names of its levels."""
    _require_editor(actor)
    return _save_structure(actor=actor, instance=plan, created=created)


def stage_save(*, actor: Any, stage: Stage, created: bool) -> Stage:
    """Create or change a stage (ステージ) of a plan."""
    _require_editor(actor)
    return _save_structure(actor=actor, instance=stage, created=created)


def pillar_save(*, actor: Any, pillar: Pillar, created: bool) -> Pillar:
    """Create or change a promotion item (推進項目); its stage must be in the plan."""
    _require_editor(actor)
    if pillar.stage.plan_id != pillar.plan_id:
        raise ValidationError({"stage": _("Choose a stage of this plan.")})
    return _save_structure(actor=actor, instance=pillar, created=created)


def initiative_save(*, actor: Any, initiative: Initiative, created: bool) -> Initiative:
    """Create or change an initiative (取組); its promotion item must be in the plan."""
    _require_editor(actor)
    if initiative.pillar.plan_id != initiative.plan_id:
        raise ValidationError({"pillar": _("Choose a promotion item of this plan.")})
    return _save_structure(actor=actor, instance=initiative, created=created)


def action_item_save(
    *,
    actor: Any,
    item: ActionItem,
    created: bool,
    indicators: Iterable[Indicator] | None = None,
) -> ActionItem:
    """Create or change an action item (取組項目): owner, weight, related indicators.

    The item's bureau is derived from its responsible unit.
    """
    _require_editor(actor)
    if item.initiative.plan_id != item.plan_id:
        raise ValidationError({"initiative": _("Choose an initiative of this plan.")})
    bureau_code = item.org_unit.path.split("/", 1)[0]
    item.bureau = (
        item.org_unit
        if bureau_code == item.org_unit.code
        else OrgUnit.objects.get(code=bureau_code)
    )
    with transaction.atomic():
        before_codes: list[str] = []
        if not created:
            before_codes = sorted(item.indicators.values_list("code", flat=True))
        _save_structure(actor=actor, instance=item, created=created)
        if indicators is not None:
            chosen = list(indicators)
            if any(indicator.plan_id != item.plan_id for indicator in chosen):
                raise ValidationError(
                    {"indicators": _("Choose indicators of this plan.")}
                )
            item.indicators.set(chosen)
            after_codes = sorted(indicator.code for indicator in chosen)
            if after_codes != before_codes:
                audit.record(
                    actor=actor,
                    action="reforms.actionitem.indicators",
                    target=item,
                    changes={"indicators": [before_codes, after_codes]},
                )
    return item


def schedule_entry_save(
    *, actor: Any, item: ActionItem, fiscal_year: int, quarter: int, description: str
) -> ScheduleEntry:
    """Set what an action item plans to do in a fiscal year (or one quarter of it)."""
    _require_editor(actor)
    if not 0 <= quarter <= 4:
        raise ValidationError({"quarter": _("Enter 1–4, or 0 for the whole year.")})
    if not description.strip():
        raise ValidationError({"description": _("This field is required.")})
    with transaction.atomic():
        entry, created = ScheduleEntry.objects.select_for_update().get_or_create(
            item=item,
            fiscal_year=fiscal_year,
            quarter=quarter,
            defaults={"description": description},
        )
        before = "" if created else entry.description
        if not created and entry.description != description:
            entry.description = description
            entry.save(update_fields=["description"])
        if created or before != description:
            audit.record(
                actor=actor,
                action="reforms.schedule.save",
                target=item,
                changes={f"FY{fiscal_year} Q{quarter}": [before or None, description]},
            )
    return entry


def schedule_entry_delete(*, actor: Any, entry: ScheduleEntry) -> None:
    """Remove a planned-work entry of an action item."""
    _require_editor(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="reforms.schedule.delete",
            target=entry.item,
            changes={
                f"FY{entry.fiscal_year} Q{entry.quarter}": [entry.description, None]
            },
        )
        entry.delete()


def milestone_save(
    *,
    actor: Any,
    item: ActionItem,
    title: str,
    due_on: date,
    done_on: date | None = None,
    milestone: Milestone | None = None,
) -> Milestone:
    """Add or change a dated milestone; marking it reached is allowed to the bureau."""
    if not (
        permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
        or selectors.can_draft(actor, item)
    ):
        raise PermissionDenied
    if not title.strip():
        raise ValidationError({"title": _("This field is required.")})
    fields = ["title", "due_on", "done_on"]
    with transaction.atomic():
        if milestone is None:
            milestone = Milestone(item=item)
            before: dict[str, Any] = {}
        else:
            before = audit.snapshot(milestone, fields)
        milestone.title, milestone.due_on, milestone.done_on = title, due_on, done_on
        try:
            with transaction.atomic():
                milestone.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"title": _("This item already has a milestone with this title.")}
            ) from exc
        audit.record(
            actor=actor,
            action="reforms.milestone.save",
            target=item,
            changes=audit.diff(before, audit.snapshot(milestone, fields)),
        )
    return milestone


def period_save(
    *,
    actor: Any,
    plan: Plan,
    code: str,
    deadline: date | None = None,
    is_closed: bool = False,
) -> ReportingPeriod:
    """Open (or change) a reporting period (報告期間) of a plan: FY2022, FY2022-H1 …"""
    _require_editor(actor)
    try:
        kind, fiscal_year, number = parse_period_code(code)
    except ValueError:
        raise ValidationError(
            {"code": _("Use FY2022, FY2022-H1 or FY2022-Q1.")}
        ) from None
    starts_on, ends_on = period_dates(kind, fiscal_year, number)
    if deadline is not None and deadline < starts_on:
        raise ValidationError(
            {"deadline": _("The deadline cannot be before the period starts.")}
        )
    fields = ["deadline", "is_closed"]
    with transaction.atomic():
        period, created = ReportingPeriod.objects.select_for_update().get_or_create(
            plan=plan,
            code=code.strip().upper(),
            defaults={
                "kind": kind,
                "fiscal_year": fiscal_year,
                "number": number,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "deadline": deadline or default_deadline(ends_on),
                "is_closed": is_closed,
                "closed_at": timezone.now() if is_closed else None,
            },
        )
        before = {} if created else audit.snapshot(period, fields)
        if not created:
            period.deadline = deadline or period.deadline
            if is_closed and not period.is_closed:
                period.closed_at = timezone.now()
            period.is_closed = is_closed
            period.save(update_fields=[*fields, "closed_at"])
        changes = audit.diff(before, audit.snapshot(period, fields))
        if created or changes:
            audit.record(
                actor=actor,
                action="reforms.period." + ("create" if created else "update"),
                target=period,
                changes=changes,
            )
    return period


# ---------------------------------------------------------------------------
# Status reports (進捗報告) and their review
# ---------------------------------------------------------------------------


def _check_values(*, status: str, reason: str, progress: int) -> None:
    errors: dict[str, str] = {}
    if status not in Status.values:
        errors["status"] = _("Choose a status.")
    elif status not in STATUSES_WITHOUT_REASON and not reason.strip():
        errors["reason"] = _(
            "Give a reason: it is required unless the item is on plan or done."
        )
    if not 0 <= progress <= 100:
        errors["progress"] = _("Enter a whole number from 0 to 100.")
    if errors:
        raise ValidationError(errors)


def _transition(report: StatusReport, action: str) -> str:
    new_state = TRANSITIONS.get((report.state, action))
    if new_state is None:
        raise ValidationError(
            _("This report is %(state)s; it cannot be %(action)s now.")
            % {
                "state": ReportState(report.state).label.lower(),
                "action": ReportAction(action).label.lower(),
            }
        )
    return new_state


def _append_event(
    *, report: StatusReport, actor: Any, action: str, from_state: str, comment: str = ""
) -> StatusReportEvent:
    last = report.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    is_user = getattr(actor, "is_authenticated", False)
    return StatusReportEvent.objects.create(
        report=report,
        seq=last + 1,
        action=action,
        from_state=from_state,
        to_state=report.state,
        status=report.status,
        reason=report.reason,
        progress=report.progress,
        narrative=report.narrative,
        comment=comment,
        actor=actor if is_user else None,
        actor_repr=str(actor)[:200],
        created_at=timezone.now(),
    )


_REPORT_FIELDS = [
    "state",
    "status",
    "reason",
    "progress",
    "narrative",
    "review_comment",
]


def _record(
    *, actor: Any, report: StatusReport, action: str, before: dict[str, Any]
) -> None:
    plan_changed(plan_id=report.item.plan_id)
    audit.record(
        actor=actor,
        action=f"reforms.status_report.{action}",
        target=report,
        changes=audit.diff(before, audit.snapshot(report, _REPORT_FIELDS)),
    )


def _check_open(period: ReportingPeriod) -> None:
    if period.is_closed:
        raise ValidationError(_("This reporting period is closed."))


def _check_version(report: StatusReport, version: int | None) -> None:
    if version is not None and version != report.version:
        raise ValidationError(
            _(
                "Someone else changed this report while you were editing it. "
                "Reload the page to see their version."
            )
        )


def status_report_save(
    *,
    actor: Any,
    item: ActionItem,
    period: ReportingPeriod,
    status: str,
    reason: str = "",
    progress: int = 0,
    narrative: str = "",
    version: int | None = None,
) -> StatusReport:
    """Write the bureau's draft of an item's status for a period (進捗報告の作成).

    Bureau staff and the bureau's reform lead may write it. Writing a returned
    report revises it (it becomes a draft again). Saving the same values twice
    changes nothing and adds no history.
    """
    if not selectors.can_draft(actor, item):
        raise PermissionDenied
    if period.plan_id != item.plan_id:
        raise ValidationError(_("The period belongs to another plan."))
    _check_open(period)
    reason = reason.strip()
    _check_values(status=status, reason=reason, progress=progress)
    with transaction.atomic():
        report, created = StatusReport.objects.select_for_update().get_or_create(
            item=item,
            period=period,
            defaults={"status": status, "state": ReportState.DRAFT},
        )
        if not created:
            _check_version(report, version)
        before = {} if created else audit.snapshot(report, _REPORT_FIELDS)
        from_state = "" if created else report.state
        unchanged = not created and (
            report.status,
            report.reason,
            report.progress,
            report.narrative,
        ) == (status, reason, progress, narrative)
        if unchanged and report.state == ReportState.DRAFT:
            return report
        report.state = _transition(report, ReportAction.SAVE)
        report.status, report.reason = status, reason
        report.progress, report.narrative = progress, narrative
        report.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        if not created:
            report.version += 1
        report.save()
        _append_event(
            report=report, actor=actor, action=ReportAction.SAVE, from_state=from_state
        )
        _record(actor=actor, report=report, action="save", before=before)
    return report


def _locked(report: StatusReport) -> StatusReport:
    return (
        StatusReport.objects.select_for_update()
        .select_related("item", "period", "item__bureau", "item__org_unit")
        .get(pk=report.pk)
    )


# Where each review step leads; a step whose target state the report is already
# in is a repeat (a double click, a retried request) and changes nothing.
_STEP_TARGET = {
    ReportAction.SUBMIT: ReportState.SUBMITTED,
    ReportAction.APPROVE: ReportState.APPROVED,
    ReportAction.RETURN: ReportState.RETURNED,
    ReportAction.REOPEN: ReportState.DRAFT,
}


def _step(
    *,
    actor: Any,
    report: StatusReport,
    action: ReportAction,
    allowed: Callable[[StatusReport], bool],
    version: int | None,
    comment: str = "",
    change: Callable[[StatusReport], None] | None = None,
    notify: bool = True,
) -> StatusReport:
    """One review step under a row lock: check who and when, move along the
    transition map, append the history row and the audit event, notify on commit."""
    with transaction.atomic():
        report = _locked(report)
        if not allowed(report):
            raise PermissionDenied
        _check_open(report.period)
        if report.state == _STEP_TARGET[action]:
            return report
        _check_version(report, version)
        before = audit.snapshot(report, _REPORT_FIELDS)
        from_state = report.state
        report.state = _transition(report, action)
        if change is not None:
            change(report)
        report.version += 1
        report.save()
        _append_event(
            report=report,
            actor=actor,
            action=action,
            from_state=from_state,
            comment=comment,
        )
        _record(actor=actor, report=report, action=str(action), before=before)
        if notify:
            _notify(report, action)
    return report


def status_report_submit(
    *, actor: Any, report: StatusReport, version: int | None = None
) -> StatusReport:
    """The bureau's reform lead sends a report to the reform office (提出)."""

    def complete(report: StatusReport) -> None:
        _check_values(
            status=report.status, reason=report.reason, progress=report.progress
        )

    return _step(
        actor=actor,
        report=report,
        action=ReportAction.SUBMIT,
        allowed=lambda r: selectors.can_submit(actor, r.item),
        version=version,
        change=complete,
    )


def status_report_approve(
    *, actor: Any, report: StatusReport, comment: str = "", version: int | None = None
) -> StatusReport:
    """The reform office accepts a report (承認); its values now count in rollups."""

    def accept(report: StatusReport) -> None:
        report.approved_status = report.status
        report.approved_reason = report.reason
        report.approved_progress = report.progress
        report.approved_at = timezone.now()
        report.review_comment = comment.strip()

    return _step(
        actor=actor,
        report=report,
        action=ReportAction.APPROVE,
        allowed=lambda r: selectors.can_review(actor),
        version=version,
        comment=comment.strip(),
        change=accept,
    )


def status_report_return(
    *, actor: Any, report: StatusReport, comment: str, version: int | None = None
) -> StatusReport:
    """The reform office sends a report back (差戻し) saying what to change."""
    if not comment.strip():
        raise ValidationError(
            {"comment": _("Say what the bureau should change before returning it.")}
        )

    def send_back(report: StatusReport) -> None:
        report.review_comment = comment.strip()

    return _step(
        actor=actor,
        report=report,
        action=ReportAction.RETURN,
        allowed=lambda r: selectors.can_review(actor),
        version=version,
        comment=comment.strip(),
        change=send_back,
    )


def status_report_reopen(
    *, actor: Any, report: StatusReport, version: int | None = None
) -> StatusReport:
    """Take a report back into draft: the lead withdraws a submission, or an
    approved report is corrected (its approved values count until re-approval)."""
    return _step(
        actor=actor,
        report=report,
        action=ReportAction.REOPEN,
        allowed=lambda r: (
            selectors.can_submit(actor, r.item) or selectors.can_review(actor)
        ),
        version=version,
        notify=False,
    )


def _notify(report: StatusReport, action: str) -> None:
    from yorisou.reforms import tasks

    report_id = report.pk
    transaction.on_commit(
        lambda: tasks.status_report_notify.delay(report_id, str(action))
    )


def reminders_send(*, today: date) -> int:
    """Email each bureau's reform lead about reports due soon or overdue (督促).

    Sent once per period, bureau and kind (``due_soon`` within
    ``selectors.REMINDER_DAYS`` of the deadline, ``overdue`` after it); returns how
    many reminders went out. Safe to run many times a day.
    """
    from yorisou.reforms import notifications
    from yorisou.reforms.models import ReminderLog

    sent = 0
    for due in selectors.reminders_due(today=today):
        with transaction.atomic():
            log, created = ReminderLog.objects.get_or_create(
                period=due.period,
                bureau=due.bureau,
                kind=due.kind,
                defaults={"sent_at": timezone.now()},
            )
            if not created:
                continue
            recipients = account_selectors.users_with_role(
                role=Role.BUREAU_REFORM_LEAD, covering=due.bureau
            )
            log.recipients = notifications.send_reminder(due, recipients)
            log.save(update_fields=["recipients"])
            audit.record(
                actor=permissions.SYSTEM,
                action="reforms.reminder.send",
                target=due.period,
                changes={
                    "bureau": [None, str(due.bureau)],
                    "kind": [None, due.kind],
                    "missing": [None, due.missing],
                },
            )
            sent += 1
    return sent


# ---------------------------------------------------------------------------
# Indicators (検証指標) and operational series
# ---------------------------------------------------------------------------


def indicator_save(*, actor: Any, indicator: Indicator, created: bool) -> Indicator:
    """Create or change a verification indicator (検証指標) of a plan."""
    _require_editor(actor)
    return _save_structure(actor=actor, instance=indicator, created=created)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


def indicator_value_record(
    *,
    actor: Any,
    indicator: Indicator,
    fiscal_year: int,
    kind: str,
    value: Any,
    note: str = "",
) -> IndicatorValue:
    """Record a fiscal year's actual or target value of an indicator (upsert).

    The reform office, or the reform lead of the indicator's section, may do it.
    """
    if not selectors.can_record_indicator(actor, indicator):
        raise PermissionDenied
    if kind not in ValueKind.values:
        raise ValidationError({"kind": _("Choose actual or target.")})
    if not 1900 <= fiscal_year <= 2200:
        raise ValidationError({"fiscal_year": _("Enter a fiscal year such as 2023.")})
    if kind == ValueKind.TARGET and fiscal_year < indicator.baseline_year:
        raise ValidationError(
            {"fiscal_year": _("A target year cannot be before the baseline year.")}
        )
    number = _decimal(value, "value")
    with transaction.atomic():
        row, created = IndicatorValue.objects.select_for_update().get_or_create(
            indicator=indicator,
            fiscal_year=fiscal_year,
            kind=kind,
            defaults={"value": number, "note": note},
        )
        before = None if created else row.value
        if not created and (row.value, row.note) != (number, note):
            row.value, row.note = number, note
            row.save(update_fields=["value", "note", "updated_at"])
        elif not created:
            return row
        audit.record(
            actor=actor,
            action="reforms.indicator_value.record",
            target=indicator,
            changes={
                f"{kind} FY{fiscal_year}": [
                    None if before is None else str(before),
                    str(number),
                ]
            },
        )
    return row


def indicator_value_delete(*, actor: Any, value: IndicatorValue) -> None:
    """Remove a yearly value entered by mistake."""
    if not selectors.can_record_indicator(actor, value.indicator):
        raise PermissionDenied
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="reforms.indicator_value.delete",
            target=value.indicator,
            changes={f"{value.kind} FY{value.fiscal_year}": [str(value.value), None]},
        )
        value.delete()


def series_save(*, actor: Any, series: Series, created: bool) -> Series:
    """Create or change an operational time series from the reform office screens."""
    _require_editor(actor)
    return _save_structure(actor=actor, instance=series, created=created)


def series_define(
    *,
    actor: Any,
    code: str,
    name: str,
    unit: str,
    frequency: str,
    name_en: str = "",
    chart: str = "",
    plan: Plan | None = None,
    source: str = "",
) -> Series:
    """Make sure a series exists (other apps call this before pushing points).

    An existing series keeps its settings: the reform office may have edited them.
    """
    permissions.require_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        series, created = Series.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "unit": unit,
                "frequency": frequency,
                "chart": chart,
                "plan": plan,
                "source": source,
            },
        )
        if created:
            series.full_clean()
            audit.record(
                actor=actor,
                action="reforms.series.create",
                target=series,
                changes=audit.diff(
                    {}, audit.snapshot(series, STRUCTURE_FIELDS[Series])
                ),
            )
    return series


def plan_for_series() -> Plan | None:
    """The plan other apps' KPI series are shown on: the newest published plan,
    else the newest plan (``None`` when there is none)."""
    return (
        Plan.objects.filter(is_public=True).order_by("-end_fy", "code").first()
        or Plan.objects.order_by("-end_fy", "code").first()
    )


def series_point_record(
    *,
    actor: Any,
    series: Series | str,
    on: date,
    value: Any,
    origin: str = "manual",
) -> SeriesPoint:
    """Record the value of a series at a date (upsert): the door for other apps.

    ``procedures`` pushes the number of procedures online this way, never by
    writing these tables itself. Recording the same value again changes nothing.
    """
    if isinstance(series, str):
        found = Series.objects.select_related("org_unit").filter(code=series).first()
        if found is None:
            raise ValidationError({"series": _("No series has this code.")})
        series = found
    if not (
        permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
        or (
            series.org_unit is not None
            and permissions.has_role(
                actor, Role.BUREAU_REFORM_LEAD, org_unit=series.org_unit
            )
        )
    ):
        raise PermissionDenied
    number = _decimal(value, "value")
    with transaction.atomic():
        point, created = SeriesPoint.objects.select_for_update().get_or_create(
            series=series, on=on, defaults={"value": number, "origin": origin}
        )
        if not created:
            if point.value == number:
                return point
            before = str(point.value)
            point.value, point.origin = number, origin
            point.save(update_fields=["value", "origin", "updated_at"])
        audit.record(
            actor=actor,
            action="reforms.series_point.record",
            target=series,
            changes={on.isoformat(): [None if created else before, str(number)]},
        )
    return point


def series_point_delete(*, actor: Any, point: SeriesPoint) -> None:
    """Remove a point entered by mistake."""
    _require_editor(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="reforms.series_point.delete",
            target=point.series,
            changes={point.on.isoformat(): [str(point.value), None]},
        )
        point.delete()
