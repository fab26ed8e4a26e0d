"""Export of a whole plan in the layout of ``reforms.workbook``."""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied

from yorisou.accounts.models import OrgUnit
from yorisou.core import permissions
from yorisou.core.tabular import SheetContent, write_csv_zip, write_xlsx
from yorisou.reforms.constants import (
    Direction,
    Frequency,
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
)
from yorisou.reforms.transfer.checking import README_SHEET
from yorisou.reforms.transfer.readme import readme_rows
from yorisou.reforms.workbook import SHEETS


def plan_export(*, actor: Any, plan: Plan, fmt: str = "xlsx") -> bytes:
    """The whole reform plan (改革計画) as an .xlsx workbook or a .zip of CSV files.

    Sheets and columns are those of ``reforms.workbook``, rows in a stable order,
    so export → import → export gives the same file content. Any member of staff
    may export.
    """
    if not permissions.is_staff_member(actor):
        raise PermissionDenied
    sheets = [
        SheetContent(
            name,
            SHEETS[name],
            rows,
            choices=_DROP_DOWNS.get(name, {}),
            widths=_widths(SHEETS[name]),
        )
        for name, rows in _export_rows(plan).items()
    ]
    if fmt == "xlsx":
        readme = SheetContent(
            README_SHEET,
            ["sheet", "column", "説明", "description"],
            readme_rows(),
            widths={"sheet": 18, "column": 20, "説明": 70, "description": 70},
        )
        return write_xlsx([readme, *sheets])
    if fmt == "zip":
        text = "\n".join("\t".join(row) for row in readme_rows()) + "\n"
        return write_csv_zip(sheets, extra_files={"README.txt": text})
    raise ValueError(f"unknown export format {fmt!r}")


def _natural(code: str) -> tuple[Any, ...]:
    """Sort key of a code with numbers in it: 1-2 before 1-10."""
    parts = _DIGITS.split(code)
    return (*(int(p) if i % 2 else p for i, p in enumerate(parts)), code)


_DIGITS = re.compile(r"(\d+)")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _export_rows(plan: Plan) -> dict[str, list[Sequence[Any]]]:
    """Every sheet's rows; one query per sheet, ids mapped to codes in Python."""
    unit_codes = dict(OrgUnit.objects.values_list("pk", "code"))

    def unit(pk: int | None) -> str:
        return unit_codes[pk] if pk is not None else ""

    out: dict[str, list[Sequence[Any]]] = {}
    out["plan"] = [
        [
            plan.code,
            plan.name,
            plan.name_en,
            plan.description,
            plan.start_fy,
            plan.end_fy,
            plan.stage_label,
            plan.pillar_label,
            plan.initiative_label,
            plan.item_label,
            plan.stage_label_en,
            plan.pillar_label_en,
            plan.initiative_label_en,
            plan.item_label_en,
            unit(plan.org_unit_id),
            _flag(plan.is_public),
        ]
    ]

    def by_order(
        rows: Iterable[Any], parent: dict[int, int] | None = None
    ) -> list[Any]:
        # (pk, sort_order, code, parent_id, ...) in the order the plan is read:
        # under the parent's position, by display order, then by code.
        return sorted(
            rows,
            key=lambda r: (
                parent[r[3]] if parent is not None else 0,
                r[1],
                _natural(r[2]),
            ),
        )

    def positions(rows: list[Any]) -> dict[int, int]:
        return {r[0]: index for index, r in enumerate(rows)}

    stages = by_order(
        Stage.objects.filter(plan=plan).values_list(
            "pk", "sort_order", "code", "name", "name_en", "goal", "start_fy", "end_fy"
        )
    )
    stage_codes = {r[0]: r[2] for r in stages}
    out["stages"] = [[r[2], r[3], r[4], r[5], r[6], r[7], r[1]] for r in stages]
    pillars = by_order(
        Pillar.objects.filter(plan=plan).values_list(
            "pk", "sort_order", "code", "stage_id", "name", "name_en", "aim", "weight"
        ),
        positions(stages),
    )
    pillar_codes = {r[0]: r[2] for r in pillars}
    out["pillars"] = [
        [r[2], stage_codes[r[3]], r[4], r[5], r[6], r[7], r[1]] for r in pillars
    ]
    initiatives = by_order(
        Initiative.objects.filter(plan=plan).values_list(
            "pk",
            "sort_order",
            "code",
            "pillar_id",
            "name",
            "name_en",
            "description",
            "org_unit_id",
            "weight",
        ),
        positions(pillars),
    )
    initiative_codes = {r[0]: r[2] for r in initiatives}
    out["initiatives"] = [
        [r[2], pillar_codes[r[3]], r[4], r[5], r[6], unit(r[7]), r[8], r[1]]
        for r in initiatives
    ]
    indicators = by_order(
        Indicator.objects.filter(plan=plan).values_list(
            "pk",
            "sort_order",
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
            "org_unit_id",
            "notes",
        )
    )
    indicator_codes = {r[0]: r[2] for r in indicators}
    indicator_position = positions(indicators)
    links: dict[int, list[int]] = defaultdict(list)
    for item_id, indicator_id in ActionItem.indicators.through.objects.filter(
        actionitem__plan=plan
    ).values_list("actionitem_id", "indicator_id"):
        links[item_id].append(indicator_id)
    items = by_order(
        ActionItem.objects.filter(plan=plan).values_list(
            "pk",
            "sort_order",
            "code",
            "initiative_id",
            "name",
            "name_en",
            "description",
            "org_unit_id",
            "weight",
        ),
        positions(initiatives),
    )
    item_codes = {r[0]: r[2] for r in items}
    item_position = positions(items)
    out["items"] = [
        [
            r[2],
            initiative_codes[r[3]],
            r[4],
            r[5],
            r[6],
            unit(r[7]),
            r[8],
            r[1],
            ",".join(
                indicator_codes[i]
                for i in sorted(links.get(r[0], []), key=indicator_position.__getitem__)
            ),
        ]
        for r in items
    ]
    schedule = ScheduleEntry.objects.filter(item__plan=plan).values_list(
        "item_id", "fiscal_year", "quarter", "description"
    )
    out["schedule"] = [
        [item_codes[r[0]], r[1], r[2], r[3]]
        for r in sorted(schedule, key=lambda r: (item_position[r[0]], r[1], r[2]))
    ]
    milestones = Milestone.objects.filter(item__plan=plan).values_list(
        "item_id", "title", "due_on", "done_on"
    )
    out["milestones"] = [
        [item_codes[r[0]], r[1], r[2].isoformat(), r[3].isoformat() if r[3] else ""]
        for r in sorted(milestones, key=lambda r: (item_position[r[0]], r[2], r[1]))
    ]
    periods = sorted(
        ReportingPeriod.objects.filter(plan=plan).values_list(
            "pk", "ends_on", "kind", "code", "deadline", "is_closed"
        ),
        key=lambda r: (r[1], r[2], r[3]),
    )
    period_codes = {r[0]: r[3] for r in periods}
    period_position = positions(periods)
    out["periods"] = [[r[3], r[4].isoformat(), _flag(r[5])] for r in periods]
    reports = StatusReport.objects.filter(period__plan=plan).values_list(
        "period_id",
        "item_id",
        "state",
        "status",
        "progress",
        "reason",
        "narrative",
        "review_comment",
        "approved_status",
        "approved_progress",
        "approved_reason",
    )
    out["status_reports"] = [
        [item_codes[r[1]], period_codes[r[0]], *r[2:]]
        for r in sorted(
            (r for r in reports if r[1] in item_codes),
            key=lambda r: (period_position[r[0]], item_position[r[1]]),
        )
    ]
    out["indicators"] = [
        [
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
            unit(r[13]),
            r[14],
            r[1],
        ]
        for r in indicators
    ]
    values = IndicatorValue.objects.filter(indicator__plan=plan).values_list(
        "indicator_id", "fiscal_year", "kind", "value", "note"
    )
    out["indicator_values"] = [
        [indicator_codes[r[0]], r[1], r[2], r[3], r[4]]
        for r in sorted(values, key=lambda r: (indicator_position[r[0]], r[1], r[2]))
    ]
    series = by_order(
        Series.objects.filter(plan=plan).values_list(
            "pk",
            "sort_order",
            "code",
            "name",
            "name_en",
            "unit",
            "frequency",
            "chart",
            "decimals",
            "source",
            "org_unit_id",
            "notes",
        )
    )
    series_codes = {r[0]: r[2] for r in series}
    series_position = positions(series)
    out["series"] = [
        [r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], unit(r[10]), r[11], r[1]]
        for r in series
    ]
    points = SeriesPoint.objects.filter(series__plan=plan).values_list(
        "series_id", "on", "value", "origin"
    )
    out["series_points"] = [
        [series_codes[r[0]], r[1].isoformat(), r[2], r[3]]
        for r in sorted(points, key=lambda r: (series_position[r[0]], r[1]))
    ]
    return out


_FLAGS = ["true", "false"]
_DROP_DOWNS: dict[str, dict[str, Sequence[str]]] = {
    "plan": {"is_public": _FLAGS},
    "periods": {"is_closed": _FLAGS},
    "status_reports": {
        "state": ReportState.values,
        "status": Status.values,
        "approved_status": Status.values,
    },
    "indicators": {"direction": Direction.values, "target_kind": TargetKind.values},
    "indicator_values": {"kind": ValueKind.values},
    "series": {"frequency": Frequency.values},
}
_WIDE = {"name_ja": 36, "name_en": 36, "title": 36, "description": 48, "goal": 48}


def _widths(columns: Sequence[str]) -> dict[str, int]:
    return {c: _WIDE.get(c, 40 if c in _TEXT_COLUMNS else 14) for c in columns}


_TEXT_COLUMNS = {
    "aim",
    "reason",
    "narrative",
    "review_comment",
    "approved_reason",
    "notes",
    "source",
}
