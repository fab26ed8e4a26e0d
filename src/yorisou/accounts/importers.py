"""Bulk import of the organisation tree from CSV/XLSX (組織一括登録)."""

from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from yorisou.accounts.constants import PARENT_LEVEL, OrgLevel
from yorisou.accounts.models import OrgUnit
from yorisou.core import audit, permissions
from yorisou.core.constants import Role
from yorisou.core.tabular import ImportResult, Row, RowError, read_rows

ORG_COLUMNS = ["code", "parent_code", "level", "name_ja", "name_en", "sort_order"]
_LEVEL_ORDER = {OrgLevel.BUREAU: 0, OrgLevel.DEPARTMENT: 1, OrgLevel.SECTION: 2}


def _validate(rows: list[Row]) -> list[RowError]:
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    file_levels: dict[str, str] = {}
    for row in rows:
        code = row.get("code")
        if not code:
            errors.append(RowError(row.number, "code", _("The code is missing.")))
        elif not code.isascii() or not code.replace("-", "").isalnum():
            errors.append(
                RowError(row.number, "code", _("Use letters, digits and '-'."), code)
            )
        elif code in seen:
            errors.append(
                RowError(
                    row.number,
                    "code",
                    _("Duplicate code (also on row %(row)s).") % {"row": seen[code]},
                    code,
                )
            )
        else:
            seen[code] = row.number
        level = row.get("level")
        if level not in OrgLevel.values:
            errors.append(
                RowError(
                    row.number,
                    "level",
                    _("The level must be bureau, department or section."),
                    level,
                )
            )
        elif code:
            file_levels[code] = level
        if not row.get("name_ja"):
            errors.append(RowError(row.number, "name_ja", _("The name is missing.")))
        sort_order = row.get("sort_order")
        if sort_order and not sort_order.isdigit():
            errors.append(
                RowError(
                    row.number, "sort_order", _("Enter a whole number."), sort_order
                )
            )
    existing = {
        unit.code: unit.level
        for unit in OrgUnit.objects.filter(
            code__in={r.get("parent_code") for r in rows if r.get("parent_code")}
        )
    }
    for row in rows:
        level, parent_code = row.get("level"), row.get("parent_code")
        if level not in OrgLevel.values:
            continue
        expected = PARENT_LEVEL[level]
        if expected is None:
            if parent_code:
                errors.append(
                    RowError(
                        row.number,
                        "parent_code",
                        _("A bureau has no parent unit."),
                        parent_code,
                    )
                )
            continue
        if not parent_code:
            errors.append(
                RowError(row.number, "parent_code", _("The parent code is missing."))
            )
            continue
        parent_level = file_levels.get(parent_code) or existing.get(parent_code)
        if parent_level is None:
            errors.append(
                RowError(
                    row.number,
                    "parent_code",
                    _("No unit has this code (in the file or already registered)."),
                    parent_code,
                )
            )
        elif parent_level != expected:
            errors.append(
                RowError(
                    row.number,
                    "parent_code",
                    _("The parent of a %(level)s must be a %(expected)s.")
                    % {
                        "level": OrgLevel(level).label,
                        "expected": OrgLevel(expected).label,
                    },
                    parent_code,
                )
            )
    return sorted(errors, key=lambda e: (e.row, e.column))


def org_unit_import(
    *, actor: Any, stream: IO[bytes], filename: str, mark_sample: bool = False
) -> ImportResult:
    """Upsert org units by code from a file; all or nothing, every bad cell reported."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    header, rows = read_rows(stream, filename)
    missing = [column for column in ORG_COLUMNS if column not in header]
    if missing:
        return ImportResult(
            errors=[
                RowError(1, column, _("This column is missing from the header."))
                for column in missing
            ]
        )
    result = ImportResult(errors=_validate(rows))
    if not result.ok:
        return result
    rows.sort(key=lambda r: _LEVEL_ORDER[OrgLevel(r.get("level"))])
    with transaction.atomic():
        units = {u.code: u for u in OrgUnit.objects.select_for_update()}
        for row in rows:
            code = row.get("code")
            parent = units[row.get("parent_code")] if row.get("parent_code") else None
            values = {
                "name": row.get("name_ja"),
                "name_en": row.get("name_en"),
                "level": row.get("level"),
                "parent": parent,
                "sort_order": int(row.get("sort_order") or 0),
            }
            path = f"{parent.path}/{code}" if parent else code
            unit = units.get(code)
            if unit is None:
                unit = OrgUnit(code=code, path=path, is_sample=mark_sample, **values)
                unit.save()
                units[code] = unit
                audit.record(
                    actor=actor,
                    action="accounts.org_unit.import_create",
                    target=unit,
                    changes=audit.diff({}, {"code": code, **values}),
                )
                result.created += 1
                continue
            before = audit.snapshot(unit, list(values))
            for name, value in values.items():
                setattr(unit, name, value)
            changes = audit.diff(before, audit.snapshot(unit, list(values)))
            if not changes and unit.path == path:
                result.unchanged += 1
                continue
            unit.path = path
            unit.save()
            audit.record(
                actor=actor,
                action="accounts.org_unit.import_update",
                target=unit,
                changes=changes,
            )
            result.updated += 1
        _rebuild_paths(units)
    return result


def _rebuild_paths(units: dict[str, OrgUnit]) -> None:
    """Recompute every path from the parents (a moved unit moves its subtree)."""
    by_id = {unit.pk: unit for unit in units.values()}

    def path_of(unit: OrgUnit) -> str:
        parent = by_id.get(unit.parent_id) if unit.parent_id else None
        return f"{path_of(parent)}/{unit.code}" if parent else unit.code

    for unit in units.values():
        path = path_of(unit)
        if unit.path != path:
            unit.path = path
            unit.save(update_fields=["path"])
