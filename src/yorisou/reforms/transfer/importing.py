"""Writing a checked plan workbook: upserts in bulk, history, one audit event."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from yorisou.core import audit, permissions
from yorisou.core.bulk import BATCH_SIZE, bulk_update, insert_rows
from yorisou.core.constants import Role
from yorisou.core.tabular import ImportResult
from yorisou.reforms import services
from yorisou.reforms.constants import ReportAction, ReportState
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
from yorisou.reforms.transfer.cells import Entry
from yorisou.reforms.transfer.checking import PlanCheck, PlanWorkbook
from yorisou.reforms.transfer.existing import Existing

# The audit event lists at most this many changed codes per sheet.
AUDIT_CODES_PER_SHEET = 200

M = TypeVar("M", bound=models.Model)


EVENT_COLUMNS = [
    "report_id",
    "seq",
    "action",
    "from_state",
    "to_state",
    "status",
    "reason",
    "progress",
    "narrative",
    "comment",
    "actor_id",
    "actor_repr",
    "created_at",
]


@dataclass
class SheetCounts:
    """What an import did to the rows of one sheet."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class PlanImportResult(ImportResult):
    """An :class:`ImportResult` with the plan and the counts of each sheet."""

    plan: Plan | None = None
    sheets: dict[str, SheetCounts] = field(default_factory=dict)


def plan_import(
    *,
    actor: Any,
    workbook: PlanWorkbook,
    mark_sample: bool = False,
    expected_plan_code: str | None = None,
) -> PlanImportResult:
    """Create or update a whole reform plan (改革計画) from a workbook; all or nothing.

    Rows are matched by code (or natural key) and created or updated; rows not
    in the file are left alone. Every bad cell is reported as a ``RowError`` and
    nothing is written while there is one. ``expected_plan_code`` refuses a file
    of another plan (an upload on that plan's page). New rows are marked as
    sample data with ``mark_sample``. Reform office and system administrators
    only.
    """
    permissions.require_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
    check = PlanCheck(workbook, expected_plan_code=expected_plan_code)
    check.parse()
    with transaction.atomic():
        plan = None
        if check.plan_code is not None:
            # Two imports of one plan run one after the other.
            plan = Plan.objects.select_for_update().filter(code=check.plan_code).first()
        existing = Existing(plan, check.series_codes())
        check.check(existing)
        if check.errors:
            return PlanImportResult(errors=check.errors)
        writer = _PlanWriter(
            actor=actor, check=check, existing=existing, mark_sample=mark_sample
        )
        return writer.write(plan)


class _PlanWriter:
    """Writes the rows of a checked workbook, sheet by sheet, in bulk."""

    def __init__(
        self, *, actor: Any, check: PlanCheck, existing: Existing, mark_sample: bool
    ) -> None:
        self.actor = actor
        self.user = actor if getattr(actor, "is_authenticated", False) else None
        self.check = check
        self.entries = check.entries
        self.units = check.units
        self.existing = existing
        self.mark_sample = mark_sample
        self.result = PlanImportResult()
        self.changed_codes: dict[str, list[str]] = defaultdict(list)
        self.now = timezone.now()

    def write(self, plan: Plan | None) -> PlanImportResult:
        """Create or update every row; returns the counts."""
        assert self.check.plan_entry is not None  # checked: the plan row is valid
        existing = self.existing
        existing.load_rows()
        plan = self._write_plan(self.check.plan_entry, plan)
        self.result.plan = existing.plan = plan
        stages = self._sync(
            "stages",
            Stage,
            existing.stages,
            lambda v: {
                "code": v["code"],
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "goal": v["goal"],
                "start_fy": v["start_fy"],
                "end_fy": v["end_fy"],
                "sort_order": v["sort_order"],
            },
            create={"plan": plan},
        )
        pillars = self._sync(
            "pillars",
            Pillar,
            existing.pillars,
            lambda v: {
                "code": v["code"],
                "stage_id": stages[v["stage_code"]].pk,
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "aim": v["aim"],
                "weight": v["weight"],
                "sort_order": v["sort_order"],
            },
            create={"plan": plan, "is_sample": self.mark_sample},
        )
        initiatives = self._sync(
            "initiatives",
            Initiative,
            existing.initiatives,
            lambda v: {
                "code": v["code"],
                "pillar_id": pillars[v["pillar_code"]].pk,
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "description": v["description"],
                "org_unit_id": self._unit_id(v["org_unit_code"]),
                "weight": v["weight"],
                "sort_order": v["sort_order"],
            },
            create={"plan": plan, "is_sample": self.mark_sample},
        )
        indicators = self._sync(
            "indicators",
            Indicator,
            existing.indicators,
            lambda v: {
                "code": v["code"],
                "group": v["group"],
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "unit": v["unit"],
                "direction": v["direction"],
                "target_kind": v["target_kind"],
                "baseline_year": v["baseline_year"],
                "baseline_value": v["baseline_value"],
                "decimals": v["decimals"],
                "source": v["source"],
                "org_unit_id": self._unit_id(v["org_unit_code"]),
                "notes": v["notes"],
                "sort_order": v["sort_order"],
            },
            create={"plan": plan, "is_sample": self.mark_sample},
        )
        items = self._write_items(plan, initiatives, indicators)
        self._sync(
            "schedule",
            ScheduleEntry,
            existing.schedule,
            lambda v: {
                "item_id": items[v["item_code"]].pk,
                "fiscal_year": v["fiscal_year"],
                "quarter": v["quarter"],
                "description": v["description"],
            },
        )
        self._sync(
            "milestones",
            Milestone,
            existing.milestones,
            lambda v: {
                "item_id": items[v["item_code"]].pk,
                "title": v["title"],
                "due_on": v["due_on"],
                "done_on": v["done_on"],
            },
        )
        periods = self._sync(
            "periods",
            ReportingPeriod,
            existing.periods,
            _period_values,
            create={"plan": plan},
        )
        self._write_status_reports(items, periods)
        self._sync(
            "indicator_values",
            IndicatorValue,
            existing.indicator_values,
            lambda v: {
                "indicator_id": indicators[v["indicator_code"]].pk,
                "fiscal_year": v["fiscal_year"],
                "kind": v["kind"],
                "value": v["value"],
                "note": v["note"],
            },
        )
        series = self._sync(
            "series",
            Series,
            existing.series,
            lambda v: {
                "code": v["code"],
                "plan_id": plan.pk,
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "unit": v["unit"],
                "frequency": v["frequency"],
                "chart": v["chart"],
                "decimals": v["decimals"],
                "source": v["source"],
                "org_unit_id": self._unit_id(v["org_unit_code"]),
                "notes": v["notes"],
                "sort_order": v["sort_order"],
            },
            create={"is_sample": self.mark_sample},
        )
        self._sync(
            "series_points",
            SeriesPoint,
            existing.series_points(series),
            lambda v: {
                "series_id": series[v["series_code"]].pk,
                "on": v["on"],
                "value": v["value"],
                "origin": v["origin"] or "import",
            },
        )
        self._record(plan)
        return self.result

    def _unit_id(self, code: str) -> int | None:
        return self.units[code].pk if code else None

    def _write_plan(self, entry: Entry, plan: Plan | None) -> Plan:
        v = entry.values
        values: dict[str, Any] = {
            "name": v["name_ja"],
            "name_en": v["name_en"],
            "description": v["description"],
            "start_fy": v["start_fy"],
            "end_fy": v["end_fy"],
            "org_unit_id": self._unit_id(v["org_unit_code"]),
            "is_public": v["is_public"],
        }
        for suffix in ("", "_en"):
            for level in ("stage", "pillar", "initiative", "item"):
                name = f"{level}_label{suffix}"
                values[name] = v[name] or _PLAN_DEFAULTS[name]
        counts = self.result.sheets.setdefault("plan", SheetCounts())
        if plan is None:
            plan = Plan.objects.create(
                code=v["code"], is_sample=self.mark_sample, **values
            )
            counts.created += 1
        else:
            changed = [k for k, value in values.items() if getattr(plan, k) != value]
            if changed:
                for name in changed:
                    setattr(plan, name, values[name])
                plan.save(update_fields=[*changed, "updated_at"])
                counts.updated += 1
            else:
                counts.unchanged += 1
                return plan
        self.changed_codes["plan"].append(plan.code)
        return plan

    def _sync(
        self,
        sheet: str,
        model: type[M],
        existing: dict[Any, M],
        build: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        create: dict[str, Any] | None = None,
        also_changed: Callable[[Any, M], bool] | None = None,
    ) -> dict[Any, M]:
        """Create or update the rows of one sheet in bulk; returns key → object.

        ``existing`` (key → object) gains the created objects.
        """
        counts = self.result.sheets.setdefault(sheet, SheetCounts())
        created: list[M] = []
        changed: list[M] = []
        fields: set[str] = set()
        codes = self.changed_codes[sheet]
        for entry in self.entries[sheet]:
            key = entry.key
            values = build(entry.values)
            obj = existing.get(key)
            if obj is None:
                obj = model(**values, **(create or {}))
                existing[key] = obj
                created.append(obj)
            else:
                diff = [
                    name
                    for name, value in values.items()
                    if getattr(obj, name) != value
                ]
                if diff:
                    for name in diff:
                        setattr(obj, name, values[name])
                    fields.update(diff)
                if diff or (also_changed is not None and also_changed(key, obj)):
                    changed.append(obj)
                else:
                    counts.unchanged += 1
                    continue
            if len(codes) < AUDIT_CODES_PER_SHEET:
                codes.append(_key_text(key))
        model._default_manager.bulk_create(created, batch_size=BATCH_SIZE)
        if changed:
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                # bulk_update does not apply auto_now.
                for obj in changed:
                    obj.updated_at = self.now  # type: ignore[attr-defined]
                fields.add("updated_at")
            if fields:
                bulk_update(model, changed, fields)
        counts.created += len(created)
        counts.updated += len(changed)
        return existing

    def _write_items(
        self,
        plan: Plan,
        initiatives: dict[Any, Initiative],
        indicators: dict[Any, Indicator],
    ) -> dict[Any, ActionItem]:
        existing = self.existing
        links = existing.item_links
        wanted: dict[str, set[int]] = {
            e.values["code"]: {indicators[c].pk for c in e.values["indicator_codes"]}
            for e in self.entries["items"]
        }

        def links_changed(code: Any, item: ActionItem) -> bool:
            return links.get(item.pk, set()) != wanted[code]

        def build(v: dict[str, Any]) -> dict[str, Any]:
            unit = self.units[v["org_unit_code"]]
            bureau = self.units.get(unit.path.split("/")[0], unit)
            return {
                "code": v["code"],
                "initiative_id": initiatives[v["initiative_code"]].pk,
                "name": v["name_ja"],
                "name_en": v["name_en"],
                "description": v["description"],
                "org_unit_id": unit.pk,
                "bureau_id": bureau.pk,
                "weight": v["weight"],
                "sort_order": v["sort_order"],
            }

        items = self._sync(
            "items",
            ActionItem,
            existing.items,
            build,
            create={"plan": plan, "is_sample": self.mark_sample},
            also_changed=links_changed,
        )
        through = ActionItem.indicators.through
        add: list[Any] = []
        remove: list[tuple[int, int]] = []
        for code, indicator_ids in wanted.items():
            item_id = items[code].pk
            have = links.get(item_id, set())
            add.extend(
                through(actionitem_id=item_id, indicator_id=indicator_id)
                for indicator_id in sorted(indicator_ids - have)
            )
            remove.extend(
                (item_id, indicator_id) for indicator_id in have - indicator_ids
            )
        if remove:
            link_ids = existing.link_ids
            through.objects.filter(pk__in=[link_ids[pair] for pair in remove]).delete()
        through.objects.bulk_create(add, batch_size=BATCH_SIZE)
        return items

    def _write_status_reports(
        self, items: dict[Any, ActionItem], periods: dict[Any, ReportingPeriod]
    ) -> None:
        """Reports are upserted like other rows, and each change appends an event.

        The history stays append-only: an import adds an ``import`` event with
        the new values; it never edits earlier events.
        """
        counts = self.result.sheets.setdefault("status_reports", SheetCounts())
        existing = self.existing.status_reports
        codes = self.changed_codes["status_reports"]
        user_id = self.user.pk if self.user is not None else None
        created: list[dict[str, Any]] = []
        changed: list[StatusReport] = []
        fields: set[str] = set()
        # (report id or (item id, period id) of a new one, state before)
        history: list[tuple[Any, str, dict[str, Any]]] = []
        approved_fields = {"approved_status", "approved_progress", "approved_reason"}
        for entry in self.entries["status_reports"]:
            v = entry.values
            values: dict[str, Any] = {
                "state": v["state"],
                "status": v["status"],
                "progress": v["progress"],
                "reason": v["reason"],
                "narrative": v["narrative"],
                "review_comment": v["review_comment"],
                "approved_status": v["approved_status"],
                "approved_progress": v["approved_progress"],
                "approved_reason": v["approved_reason"],
            }
            if v["state"] == ReportState.APPROVED and not v["approved_status"]:
                # An approved report counts with its own values.
                values["approved_status"] = v["status"]
                values["approved_reason"] = v["reason"]
                values["approved_progress"] = v["progress"]
            elif values["approved_status"] and values["approved_progress"] is None:
                values["approved_progress"] = v["progress"]
            report = existing.get(entry.key)
            if report is None:
                ids = (items[v["item_code"]].pk, periods[v["period_code"]].pk)
                created.append(
                    {
                        "item_id": ids[0],
                        "period_id": ids[1],
                        **values,
                        "approved_at": self.now if values["approved_status"] else None,
                        "version": 1,
                        "updated_by_id": user_id,
                        "updated_at": self.now,
                    }
                )
                history.append((ids, "", values))
            else:
                diff = [k for k, value in values.items() if getattr(report, k) != value]
                if not diff:
                    counts.unchanged += 1
                    continue
                history.append((report.pk, report.state, values))
                for name in diff:
                    setattr(report, name, values[name])
                if not report.approved_status:
                    report.approved_at = None
                elif report.approved_at is None or approved_fields.intersection(diff):
                    report.approved_at = self.now
                report.version += 1
                report.updated_by_id = user_id
                report.updated_at = self.now
                fields.update(diff)
                changed.append(report)
            if len(codes) < AUDIT_CODES_PER_SHEET:
                codes.append(_key_text(entry.key))
        if changed:
            fields.update(["approved_at", "version", "updated_by_id", "updated_at"])
            bulk_update(StatusReport, changed, fields)
        new_ids: dict[tuple[int, int], int] = {}
        if created:
            insert_rows(StatusReport, list(created[0]), [r.values() for r in created])
            new_ids = self.existing.report_ids()
        last_seq = self.existing.last_event_seqs() if changed else {}
        actor_repr = str(self.actor)[:200]
        events = []
        for report_id, from_state, values in history:
            if isinstance(report_id, tuple):
                report_id = new_ids[report_id]
            events.append(
                (
                    report_id,
                    last_seq.get(report_id, 0) + 1,
                    ReportAction.IMPORT.value,
                    from_state,
                    values["state"],
                    values["status"],
                    values["reason"],
                    values["progress"],
                    values["narrative"],
                    "",
                    user_id,
                    actor_repr,
                    self.now,
                )
            )
        insert_rows(StatusReportEvent, EVENT_COLUMNS, events)
        counts.created += len(created)
        counts.updated += len(changed)

    def _record(self, plan: Plan) -> None:
        """One audit event that sums up the import (if it changed anything)."""
        result = self.result
        for counts in result.sheets.values():
            result.created += counts.created
            result.updated += counts.updated
            result.unchanged += counts.unchanged
        if not (result.created or result.updated):
            return
        services.plan_changed(plan_id=plan.pk)  # cached rollups are now stale
        audit.record(
            actor=self.actor,
            action="reforms.plan.import",
            target=plan,
            changes={
                "file": self.check.workbook.filename,
                "created": {
                    sheet: c.created for sheet, c in result.sheets.items() if c.created
                },
                "updated": {
                    sheet: c.updated for sheet, c in result.sheets.items() if c.updated
                },
                "unchanged": result.unchanged,
                "codes": {
                    sheet: codes for sheet, codes in self.changed_codes.items() if codes
                },
            },
        )


_PLAN_DEFAULTS = {
    f"{level}_label{suffix}": getattr(Plan(), f"{level}_label{suffix}")
    for suffix in ("", "_en")
    for level in ("stage", "pillar", "initiative", "item")
}


def _key_text(key: Any) -> str:
    if isinstance(key, tuple):
        return " ".join(str(part) for part in key)
    return str(key)


def _period_values(v: dict[str, Any]) -> dict[str, Any]:
    kind, fiscal_year, number = parse_period_code(v["code"])
    starts_on, ends_on = period_dates(kind, fiscal_year, number)
    return {
        "code": v["code"],
        "kind": kind,
        "fiscal_year": fiscal_year,
        "number": number,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "deadline": v["deadline"] or default_deadline(ends_on),
        "is_closed": v["is_closed"],
    }
