"""Reading a plan workbook and checking every row before anything is written.

``PlanCheck`` parses every sheet (no database), then checks what the rows name
(parents, organisation units, indicators) against the file and the plan. It
collects every error; the import writes only when there is none.
"""

import os
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from yorisou.accounts.models import OrgUnit
from yorisou.core.tabular import Readable, RowError, Sheet, read_sheets
from yorisou.reforms.constants import STATUSES_WITHOUT_REASON, Status, ValueKind
from yorisou.reforms.models import Indicator
from yorisou.reforms.transfer.cells import (
    BAD,
    KEYS,
    MODELS,
    PARSERS,
    REFERENCES,
    Cells,
    Entry,
)
from yorisou.reforms.transfer.existing import Existing
from yorisou.reforms.workbook import REQUIRED_SHEETS, SHEETS

README_SHEET = "README"


@dataclass
class PlanWorkbook:
    """A plan workbook as read: its known sheets, and what is wrong with the file.

    ``errors`` holds problems of the file as a whole (a sheet with an unknown
    name); :func:`plan_import` reports them with the errors of the rows.
    """

    sheets: dict[str, Sheet]
    errors: list[RowError] = field(default_factory=list)
    filename: str = ""


def read_plan_workbook(
    source: Readable | str | os.PathLike[str], filename: str = ""
) -> PlanWorkbook:
    """Read a reform plan file (改革計画の一括登録ファイル) for :func:`plan_import`.

    ``source`` is an open .xlsx or .zip file (``filename`` names its type), or a
    path to such a file or to a folder of ``<sheet>.csv`` files. The sheet named
    ``README`` that exports carry is ignored. Raises ``TabularFormatError`` when
    the file cannot be read at all.
    """
    found: dict[str, Sheet] = {}
    errors: list[RowError] = []
    for sheet in read_sheets(source, filename):
        name = sheet.name.strip()
        if name.lower() == README_SHEET.lower():
            continue
        if name.lower() not in SHEETS:
            errors.append(
                RowError(
                    1,
                    "",
                    _("Unknown sheet; the sheets are: %(names)s.")
                    % {"names": ", ".join(SHEETS)},
                    name,
                    sheet=name,
                )
            )
            continue
        if name.lower() in found:
            errors.append(
                RowError(
                    1,
                    "",
                    _("The file has this sheet twice."),
                    name,
                    sheet=name.lower(),
                )
            )
            continue
        found[name.lower()] = sheet
    return PlanWorkbook(sheets=found, errors=errors, filename=str(filename))


def _needs_reason() -> str:
    ok = " / ".join(str(Status(s).label) for s in sorted(STATUSES_WITHOUT_REASON))
    return _("Give a reason: it is required unless the status is %(ok)s.") % {"ok": ok}


def _label(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name)


class PlanCheck:
    """Every row of a plan workbook, parsed and checked; or every reason why not.

    ``parse`` needs no database; ``check`` looks up what rows name (in the file,
    in ``existing``, in the organisation tree). After both, ``errors`` is empty
    or lists every bad cell, and ``entries`` holds the parsed rows by sheet.
    """

    def __init__(
        self, workbook: PlanWorkbook, *, expected_plan_code: str | None = None
    ) -> None:
        self.workbook = workbook
        self.expected_plan_code = expected_plan_code
        self.cells = Cells()
        self.cells.errors.extend(workbook.errors)
        self.entries: dict[str, list[Entry]] = {}
        # Codes named in the file, per sheet, including rows with bad cells, so
        # that one bad row does not make every child row an error too.
        self.file_codes: dict[str, set[Any]] = defaultdict(set)
        self.broken_sheets: set[str] = set()
        self.plan_entry: Entry | None = None
        self.units: dict[str, OrgUnit] = {}

    @property
    def errors(self) -> list[RowError]:
        """Every error, in the order of the sheets, rows and columns."""
        return self._sorted_errors()

    @property
    def plan_code(self) -> str | None:
        return self.plan_entry.values["code"] if self.plan_entry else None

    def error(
        self, sheet: str, row: int, column: str, message: str, value: str = ""
    ) -> None:
        self.cells.errors.append(RowError(row, column, message, value, sheet=sheet))

    # -- parsing

    def parse(self) -> None:
        """Parse every sheet and check each row on its own."""
        for name in SHEETS:
            self._parse_sheet(name)
        self.plan_entry = self._plan_entry()

    def series_codes(self) -> set[str]:
        """The series codes the file names (series are shared by all plans)."""
        return {str(code) for code in self.file_codes["series"]} | {
            e.values["series_code"]
            for e in self.entries["series_points"]
            if e.values["series_code"] is not BAD
        }

    def check(self, existing: Existing) -> None:
        """Check what rows name against the file, ``existing`` and the org tree."""
        known: dict[str, set[Any]] = {
            name: self.file_codes[name] | existing.codes(name)
            for name in set(REFERENCES.values())
        }
        self._check_references(known)
        self._check_indicator_codes(known["indicators"])
        self._check_org_units()
        self._check_series_owner(existing)
        self._check_target_years(existing)

    def _parse_sheet(self, name: str) -> None:
        cells = self.cells
        cells.sheet = name
        sheet = self.workbook.sheets.get(name)
        if sheet is None:
            if name in REQUIRED_SHEETS:
                cells.error(
                    1, "", _("The %(sheet)s sheet is missing.") % {"sheet": name}
                )
                self.broken_sheets.add(name)
            self.entries[name] = []
            return
        parsers = PARSERS[name]
        missing = [column for column in SHEETS[name] if column not in sheet.header]
        for column in missing:
            cells.error(1, column, _("This column is missing from the header."))
        key_columns = KEYS[name]
        if missing:
            # Keep the codes so that other sheets' references to them still match.
            self.broken_sheets.add(name)
            if "code" in sheet.header:
                self.file_codes[name].update(row.get("code") for row in sheet.rows)
            self.entries[name] = []
            return
        entries: list[Entry] = []
        seen: dict[Hashable, int] = {}
        items = list(parsers.items())
        for row in sheet.rows:
            values: dict[str, Any] = {}
            valid = True
            for column, parse in items:
                value = parse(cells, row, column)
                if value is BAD:
                    valid = False
                values[column] = value
            key_values = tuple(values[column] for column in key_columns)
            if "code" in values:
                code = values["code"]
                self.file_codes[name].add(row.get("code") if code is BAD else code)
            if BAD not in key_values:
                key = key_values[0] if len(key_values) == 1 else key_values
                values["__key__"] = key
                first = seen.get(key)
                if first is not None:
                    valid = False
                    if key_columns == ("code",):
                        message = _("Duplicate code (also on row %(row)s).") % {
                            "row": first
                        }
                    else:
                        message = _("The same entry is also on row %(row)s.") % {
                            "row": first
                        }
                    cells.error(
                        row.number, key_columns[-1], message, str(key_values[-1])
                    )
                else:
                    seen[key] = row.number
            else:
                valid = False
            entry = Entry(row.number, values, valid)
            self._check_row(name, entry)
            entries.append(entry)
        self.entries[name] = entries

    def _check_row(self, sheet: str, entry: Entry) -> None:
        """Checks between cells of one row."""
        values, number = entry.values, entry.number
        if "end_fy" in values:
            start, end = values["start_fy"], values["end_fy"]
            if isinstance(start, int) and isinstance(end, int) and end < start:
                self.error(
                    sheet,
                    number,
                    "end_fy",
                    _("The last fiscal year is before the first."),
                    str(end),
                )
                entry.valid = False
        if sheet != "status_reports":
            return
        status = values["status"]
        if (
            status is not BAD
            and status not in STATUSES_WITHOUT_REASON
            and not values["reason"]
        ):
            self.error(sheet, number, "reason", _needs_reason())
            entry.valid = False
        approved = values["approved_status"]
        if not approved and (
            values["approved_progress"] not in (None, BAD) or values["approved_reason"]
        ):
            self.error(
                sheet,
                number,
                "approved_status",
                _(
                    "Give the approved status as well as the approved progress "
                    "or reason."
                ),
            )
            entry.valid = False
        elif (
            approved
            and approved is not BAD
            and approved not in STATUSES_WITHOUT_REASON
            and not values["approved_reason"]
        ):
            self.error(sheet, number, "approved_reason", _needs_reason())
            entry.valid = False

    def _plan_entry(self) -> Entry | None:
        entries = self.entries["plan"]
        if "plan" in self.broken_sheets:
            return None
        if len(entries) != 1:
            for number in [e.number for e in entries[1:]] or [2]:
                self.error(
                    "plan",
                    number,
                    "code",
                    _("The plan sheet must have exactly one row."),
                )
            return None
        entry = entries[0]
        code = entry.values["code"]
        if code is BAD:
            return None
        expected = self.expected_plan_code
        if expected is not None and code != expected:
            self.error(
                "plan",
                entry.number,
                "code",
                _("This file is for plan %(found)s, not %(expected)s.")
                % {"found": code, "expected": expected},
                code,
            )
        return entry

    # -- references

    def _check_references(self, known: dict[str, set[Any]]) -> None:
        for (sheet, column), target in REFERENCES.items():
            if target in self.broken_sheets:
                continue
            message = _("No %(kind)s has this code, in the file or in the plan.") % {
                "kind": _label(MODELS[target])
            }
            for entry in self.entries[sheet]:
                code = entry.values[column]
                if code is not BAD and code not in known[target]:
                    self.error(sheet, entry.number, column, message, str(code))
                    entry.valid = False

    def _check_indicator_codes(self, known: set[Any]) -> None:
        if "indicators" in self.broken_sheets:
            return
        message = _("No %(kind)s has this code, in the file or in the plan.") % {
            "kind": _label(Indicator)
        }
        for entry in self.entries["items"]:
            for code in entry.values["indicator_codes"]:
                if code not in known:
                    self.error("items", entry.number, "indicator_codes", message, code)
                    entry.valid = False

    def _check_org_units(self) -> None:
        wanted: set[str] = set()
        for sheet in ("plan", "initiatives", "items", "indicators", "series"):
            for entry in self.entries[sheet]:
                code = entry.values["org_unit_code"]
                if code and code is not BAD:
                    wanted.add(code)
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=wanted)}
        bureau_codes = {u.path.split("/")[0] for u in units.values()} - set(units)
        if bureau_codes:
            units.update(
                {u.code: u for u in OrgUnit.objects.filter(code__in=bureau_codes)}
            )
        self.units = units
        message = _("No organisation unit has this code.")
        for sheet in ("plan", "initiatives", "items", "indicators", "series"):
            for entry in self.entries[sheet]:
                code = entry.values["org_unit_code"]
                if code and code is not BAD and code not in units:
                    self.error(sheet, entry.number, "org_unit_code", message, code)
                    entry.valid = False

    def _check_series_owner(self, existing: Existing) -> None:
        plan, owners = existing.plan, existing.series_owner
        for entry in self.entries["series"]:
            code = entry.values["code"]
            owner = owners.get(code, 0)
            if owner not in (0, None) and (plan is None or owner != plan.pk):
                self.error(
                    "series",
                    entry.number,
                    "code",
                    _("This series code is used by another plan."),
                    code,
                )
                entry.valid = False

    def _check_target_years(self, existing: Existing) -> None:
        baselines: dict[Any, int] = dict(existing.baseline_years)
        for entry in self.entries["indicators"]:
            year = entry.values["baseline_year"]
            if entry.values["code"] is not BAD and isinstance(year, int):
                baselines[entry.values["code"]] = year
        for entry in self.entries["indicator_values"]:
            values = entry.values
            baseline = baselines.get(values["indicator_code"])
            year = values["fiscal_year"]
            if (
                values["kind"] == ValueKind.TARGET
                and isinstance(year, int)
                and baseline is not None
                and year < baseline
            ):
                self.error(
                    "indicator_values",
                    entry.number,
                    "fiscal_year",
                    _(
                        "A target cannot be for a year before the indicator's "
                        "baseline year (%(year)s)."
                    )
                    % {"year": baseline},
                    str(year),
                )
                entry.valid = False

    def _sorted_errors(self) -> list[RowError]:
        order = {name: index for index, name in enumerate(SHEETS)}
        columns = {
            name: {column: index for index, column in enumerate(columns)}
            for name, columns in SHEETS.items()
        }
        return sorted(
            self.cells.errors,
            key=lambda e: (
                order.get(e.sheet, -1),
                e.sheet,
                e.row,
                columns.get(e.sheet, {}).get(e.column, -1),
            ),
        )
