"""The Excel round trip of a whole reform plan (改革計画の一括入出力).

``plan_export`` writes every part of a plan as one workbook (or a .zip of CSV
files) in the layout of ``reforms.workbook``; ``plan_import`` reads such a file
back. Import upserts by code and natural keys, leaves rows that are not in the
file alone, and is all or nothing: every bad cell of every sheet is reported and
nothing is written while there is one.

Plans have tens of thousands of rows, so both directions work in bulk: one
query per sheet to load what exists, ``bulk_create`` / ``bulk_update`` in one
transaction, and one audit event per import that sums up what changed.
"""

import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yorisou.accounts.models import OrgUnit
from yorisou.core import audit, permissions
from yorisou.core.constants import Role
from yorisou.core.tabular import (
    ImportResult,
    Readable,
    Row,
    RowError,
    Sheet,
    SheetContent,
    read_sheets,
    write_csv_zip,
    write_xlsx,
)
from yorisou.reforms.constants import (
    STATUSES_WITHOUT_REASON,
    Direction,
    Frequency,
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
from yorisou.reforms.periods import (
    default_deadline,
    parse_period_code,
    period_code,
    period_dates,
)
from yorisou.reforms.workbook import REQUIRED_SHEETS, SHEETS

README_SHEET = "README"
BATCH_SIZE = 2000
# The audit event lists at most this many changed codes per sheet.
AUDIT_CODES_PER_SHEET = 200

M = TypeVar("M", bound=models.Model)


# --- Reading ------------------------------------------------------------------


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
        found[name.lower()] = sheet
    return PlanWorkbook(sheets=found, errors=errors, filename=str(filename))


# --- Cell parsing -------------------------------------------------------------

_BAD = object()  # a cell that did not parse (its error is already recorded)
_YEAR = re.compile(r"^\d{4}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_CODE_LIST = re.compile(r"[\s,、，]+")
_TRUE = frozenset({"true", "1", "yes", "y", "はい", "○"})
_FALSE = frozenset({"false", "0", "no", "n", "いいえ", "×", ""})

# Japanese names the city's own sheets use for the choices, beside the codes and
# the labels of the active translations.
_CHOICE_ALIASES: dict[type[models.TextChoices], dict[str, str]] = {
    Status: {
        "計画通り": Status.ON_PLAN,
        "一部変更・遅れ": Status.CHANGED,
        "一部変更": Status.CHANGED,
        "遅れ": Status.CHANGED,
        "完了": Status.DONE,
        "未着手": Status.NOT_STARTED,
        "中止": Status.STOPPED,
    },
    ReportState: {
        "下書き": ReportState.DRAFT,
        "提出済み": ReportState.SUBMITTED,
        "提出済": ReportState.SUBMITTED,
        "差戻し": ReportState.RETURNED,
        "差し戻し": ReportState.RETURNED,
        "承認済み": ReportState.APPROVED,
        "承認済": ReportState.APPROVED,
        "承認": ReportState.APPROVED,
    },
    Direction: {"高いほど良い": Direction.HIGHER, "低いほど良い": Direction.LOWER},
    TargetKind: {"以上": TargetKind.AT_LEAST, "以下": TargetKind.AT_MOST},
    ValueKind: {"実績": ValueKind.ACTUAL, "目標": ValueKind.TARGET},
    Frequency: {
        "毎月": Frequency.MONTHLY,
        "月次": Frequency.MONTHLY,
        "四半期": Frequency.QUARTERLY,
        "毎年": Frequency.YEARLY,
        "年次": Frequency.YEARLY,
        "年度": Frequency.YEARLY,
    },
}


def _normal(text: str) -> str:
    """Full-width digits and letters made plain (１２３ → 123), for non-text cells."""
    return unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text


@cache
def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for language in ("ja", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[_normal(str(label)).casefold()] = value
    for alias, value in _CHOICE_ALIASES.get(choices, {}).items():
        lookup[_normal(alias).casefold()] = str(value)
    for value in choices.values:
        lookup[value.casefold()] = value
    return lookup


Parser = Callable[["_Cells", Row, str], Any]


class _Cells:
    """Parses the cells of the current sheet; each bad cell becomes a RowError."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.sheet = ""

    def error(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors.append(RowError(row, column, message, value, sheet=self.sheet))

    def required(self, row: Row, column: str) -> object:
        self.error(row.number, column, _("This value is required."))
        return _BAD

    # Parsers: each takes (row, column) and returns the value or _BAD.

    @staticmethod
    def text(max_length: int | None = None, *, required: bool = False) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            value = row.get(column)
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            if not value and required:
                return cells.required(row, column)
            if max_length is not None and len(value) > max_length:
                cells.error(
                    row.number,
                    column,
                    _("At most %(max)s characters (this has %(length)s).")
                    % {"max": max_length, "length": len(value)},
                    value[:50],
                )
                return _BAD
            return value

        return parse

    @staticmethod
    def code(max_length: int, *, slug: bool = False) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            value = row.get(column)
            if not value:
                return cells.required(row, column)
            if len(value) > max_length:
                cells.error(
                    row.number,
                    column,
                    _("At most %(max)s characters (this has %(length)s).")
                    % {"max": max_length, "length": len(value)},
                    value,
                )
                return _BAD
            if slug and not _SLUG.match(value):
                cells.error(
                    row.number,
                    column,
                    _("Use only letters, digits, '-' and '_'."),
                    value,
                )
                return _BAD
            return value

        return parse

    @staticmethod
    def whole(
        minimum: int = 0, maximum: int | None = None, default: int | None = 0
    ) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return default
            text = _normal(raw)
            try:
                number = Decimal(text)
                valid = number.is_finite() and number == number.to_integral_value()
            except InvalidOperation:
                valid = False
            if valid:
                value = int(number)
                if value >= minimum and (maximum is None or value <= maximum):
                    return value
            if maximum is None:
                message = _("Enter a whole number of %(min)s or more.") % {
                    "min": minimum
                }
            else:
                message = _("Enter a whole number from %(min)s to %(max)s.") % {
                    "min": minimum,
                    "max": maximum,
                }
            cells.error(row.number, column, message, raw)
            return _BAD

        return parse

    @staticmethod
    def year(*, required: bool = True) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return cells.required(row, column) if required else None
            text = _normal(raw)
            if not _YEAR.match(text):
                cells.error(
                    row.number,
                    column,
                    _("Enter a fiscal year as 4 digits, e.g. 2024."),
                    raw,
                )
                return _BAD
            return int(text)

        return parse

    @staticmethod
    def number(
        max_digits: int,
        places: int,
        *,
        required: bool = True,
        minimum: Decimal | None = None,
        default: Decimal | None = None,
    ) -> Parser:
        limit = Decimal(10) ** (max_digits - places)

        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return cells.required(row, column) if required else default
            text = _normal(raw)
            if "," in text and _THOUSANDS.match(text):
                text = text.replace(",", "")
            try:
                value = Decimal(text)
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():
                cells.error(row.number, column, _("Enter a number."), raw)
                return _BAD
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                cells.error(
                    row.number,
                    column,
                    _("Enter a number with at most %(places)s decimal places.")
                    % {"places": places},
                    raw,
                )
                return _BAD
            if abs(value) >= limit:
                cells.error(row.number, column, _("The number is too large."), raw)
                return _BAD
            if minimum is not None and value < minimum:
                cells.error(
                    row.number,
                    column,
                    _("Enter a number of %(min)s or more.") % {"min": minimum},
                    raw,
                )
                return _BAD
            return value

        return parse

    @staticmethod
    def day(*, required: bool = True) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return cells.required(row, column) if required else None
            text = _normal(raw)
            try:
                if len(text) != 10:
                    raise ValueError(text)
                return date.fromisoformat(text)
            except ValueError:
                cells.error(
                    row.number,
                    column,
                    _("Enter a date as YYYY-MM-DD, e.g. 2024-04-01."),
                    raw,
                )
                return _BAD

        return parse

    @staticmethod
    def flag() -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            text = _normal(raw).casefold()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            cells.error(row.number, column, _("Enter true or false."), raw)
            return _BAD

        return parse

    @staticmethod
    def choice(
        choices: type[models.TextChoices],
        *,
        required: bool = True,
        default: str = "",
    ) -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return cells.required(row, column) if required else default
            found = _choice_lookup(choices).get(_normal(raw).casefold())
            if found is None:
                cells.error(
                    row.number,
                    column,
                    _("Unknown value; use one of: %(choices)s.")
                    % {"choices": ", ".join(choices.values)},
                    raw,
                )
                return _BAD
            return found

        return parse

    @staticmethod
    def period() -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return cells.required(row, column)
            try:
                return period_code(*parse_period_code(_normal(raw)))
            except ValueError:
                cells.error(
                    row.number,
                    column,
                    _("Enter a period code such as FY2024, FY2024-H1 or FY2024-Q3."),
                    raw,
                )
                return _BAD

        return parse

    @staticmethod
    def codes() -> Parser:
        def parse(cells: _Cells, row: Row, column: str) -> Any:
            text = _normal(row.get(column))
            return [code for code in _CODE_LIST.split(text) if code]

        return parse


C = _Cells
_NAME = C.text(300, required=True)
_NAME_EN = C.text(300)
_LONG = C.text()
_WEIGHT = C.number(8, 2, minimum=Decimal(0), default=Decimal(1), required=False)
_VALUE = C.number(20, 4)
_ORDER = C.whole()
_DECIMALS = C.whole(0, 4, default=1)
_PROGRESS = C.whole(0, 100)
_UNIT = C.text(20)

# Sheet → column → parser; each sheet's key columns; the sheets references point to.
_PARSERS: dict[str, dict[str, Parser]] = {
    "plan": {
        "code": C.code(50, slug=True),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "description": _LONG,
        "start_fy": C.year(),
        "end_fy": C.year(),
        **{
            f"{level}_label{suffix}": C.text(40)
            for suffix in ("", "_en")
            for level in ("stage", "pillar", "initiative", "item")
        },
        "org_unit_code": _UNIT,
        "is_public": C.flag(),
    },
    "stages": {
        "code": C.code(30),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "goal": _LONG,
        "start_fy": C.year(),
        "end_fy": C.year(),
        "sort_order": _ORDER,
    },
    "pillars": {
        "code": C.code(30),
        "stage_code": C.code(30),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "aim": _LONG,
        "weight": _WEIGHT,
        "sort_order": _ORDER,
    },
    "initiatives": {
        "code": C.code(30),
        "pillar_code": C.code(30),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "description": _LONG,
        "org_unit_code": _UNIT,
        "weight": _WEIGHT,
        "sort_order": _ORDER,
    },
    "items": {
        "code": C.code(30),
        "initiative_code": C.code(30),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "description": _LONG,
        "org_unit_code": C.code(20),
        "weight": _WEIGHT,
        "sort_order": _ORDER,
        "indicator_codes": C.codes(),
    },
    "schedule": {
        "item_code": C.code(30),
        "fiscal_year": C.year(),
        "quarter": C.whole(0, 4),
        "description": C.text(500, required=True),
    },
    "milestones": {
        "item_code": C.code(30),
        "title": C.text(300, required=True),
        "due_on": C.day(),
        "done_on": C.day(required=False),
    },
    "periods": {
        "code": C.period(),
        "deadline": C.day(required=False),
        "is_closed": C.flag(),
    },
    "status_reports": {
        "item_code": C.code(30),
        "period_code": C.period(),
        "state": C.choice(ReportState, required=False, default=ReportState.DRAFT),
        "status": C.choice(Status),
        "progress": _PROGRESS,
        "reason": _LONG,
        "narrative": _LONG,
        "review_comment": _LONG,
        "approved_status": C.choice(Status, required=False),
        "approved_progress": C.whole(0, 100, default=None),
        "approved_reason": _LONG,
    },
    "indicators": {
        "code": C.code(30),
        "group": C.text(100),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "unit": C.text(20, required=True),
        "direction": C.choice(Direction),
        "target_kind": C.choice(TargetKind),
        "baseline_year": C.year(),
        "baseline_value": _VALUE,
        "decimals": _DECIMALS,
        "source": C.text(300),
        "org_unit_code": _UNIT,
        "notes": _LONG,
        "sort_order": _ORDER,
    },
    "indicator_values": {
        "indicator_code": C.code(30),
        "fiscal_year": C.year(),
        "kind": C.choice(ValueKind),
        "value": _VALUE,
        "note": C.text(300),
    },
    "series": {
        "code": C.code(80, slug=True),
        "name_ja": _NAME,
        "name_en": _NAME_EN,
        "unit": C.text(20, required=True),
        "frequency": C.choice(Frequency),
        "chart": C.text(80),
        "decimals": _DECIMALS,
        "source": C.text(300),
        "org_unit_code": _UNIT,
        "notes": _LONG,
        "sort_order": _ORDER,
    },
    "series_points": {
        "series_code": C.code(80),
        "on": C.day(),
        "value": _VALUE,
        "origin": C.text(40),
    },
}
_KEYS: dict[str, tuple[str, ...]] = {
    "plan": ("code",),
    "stages": ("code",),
    "pillars": ("code",),
    "initiatives": ("code",),
    "items": ("code",),
    "schedule": ("item_code", "fiscal_year", "quarter"),
    "milestones": ("item_code", "title"),
    "periods": ("code",),
    "status_reports": ("item_code", "period_code"),
    "indicators": ("code",),
    "indicator_values": ("indicator_code", "fiscal_year", "kind"),
    "series": ("code",),
    "series_points": ("series_code", "on"),
}
# (sheet, column) → the sheet whose codes it names.
_REFERENCES: dict[tuple[str, str], str] = {
    ("pillars", "stage_code"): "stages",
    ("initiatives", "pillar_code"): "pillars",
    ("items", "initiative_code"): "initiatives",
    ("schedule", "item_code"): "items",
    ("milestones", "item_code"): "items",
    ("status_reports", "item_code"): "items",
    ("status_reports", "period_code"): "periods",
    ("indicator_values", "indicator_code"): "indicators",
    ("series_points", "series_code"): "series",
}
_MODELS: dict[str, type[models.Model]] = {
    "plan": Plan,
    "stages": Stage,
    "pillars": Pillar,
    "initiatives": Initiative,
    "items": ActionItem,
    "schedule": ScheduleEntry,
    "milestones": Milestone,
    "periods": ReportingPeriod,
    "status_reports": StatusReport,
    "indicators": Indicator,
    "indicator_values": IndicatorValue,
    "series": Series,
    "series_points": SeriesPoint,
}


@dataclass
class _Entry:
    """One parsed data row: its number and its values by column."""

    number: int
    values: dict[str, Any]
    valid: bool = True

    @property
    def key(self) -> Any:
        return self.values["__key__"]


# --- Import -------------------------------------------------------------------


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
    return _PlanImport(
        actor=actor,
        workbook=workbook,
        mark_sample=mark_sample,
        expected_plan_code=expected_plan_code,
    ).run()


def _label(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name)


class _PlanImport:
    """One import: parse and check every sheet, then write all in one transaction."""

    def __init__(
        self,
        *,
        actor: Any,
        workbook: PlanWorkbook,
        mark_sample: bool,
        expected_plan_code: str | None,
    ) -> None:
        self.actor = actor
        self.user = actor if getattr(actor, "is_authenticated", False) else None
        self.workbook = workbook
        self.mark_sample = mark_sample
        self.expected_plan_code = expected_plan_code
        self.cells = _Cells()
        self.cells.errors.extend(workbook.errors)
        self.entries: dict[str, list[_Entry]] = {}
        # Codes named in the file, per sheet, including rows with bad cells, so
        # that one bad row does not make every child row an error too.
        self.file_codes: dict[str, set[Any]] = defaultdict(set)
        self.broken_sheets: set[str] = set()
        self.result = PlanImportResult()
        self.changed_codes: dict[str, list[str]] = defaultdict(list)
        self.now = timezone.now()

    def error(
        self, sheet: str, row: int, column: str, message: str, value: str = ""
    ) -> None:
        self.cells.errors.append(RowError(row, column, message, value, sheet=sheet))

    # -- parsing

    def run(self) -> PlanImportResult:
        for name in SHEETS:
            self._parse_sheet(name)
        plan_entry = self._plan_entry()
        with transaction.atomic():
            plan = None
            if plan_entry is not None:
                plan = (
                    Plan.objects.select_for_update()
                    .filter(code=plan_entry.values["code"])
                    .first()
                )
            self.existing = _Existing(plan, self._file_series_codes())
            self._check_references(plan)
            if self.cells.errors:
                self.result.errors = self._sorted_errors()
                return self.result
            assert plan_entry is not None  # a missing plan row is an error
            self._write(plan_entry, plan)
        return self.result

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
        parsers = _PARSERS[name]
        missing = [column for column in SHEETS[name] if column not in sheet.header]
        for column in missing:
            cells.error(1, column, _("This column is missing from the header."))
        key_columns = _KEYS[name]
        if missing:
            # Keep the codes so that other sheets' references to them still match.
            self.broken_sheets.add(name)
            if "code" in sheet.header:
                self.file_codes[name].update(row.get("code") for row in sheet.rows)
            self.entries[name] = []
            return
        entries: list[_Entry] = []
        seen: dict[Hashable, int] = {}
        items = list(parsers.items())
        for row in sheet.rows:
            values: dict[str, Any] = {}
            valid = True
            for column, parse in items:
                value = parse(cells, row, column)
                if value is _BAD:
                    valid = False
                values[column] = value
            key_values = tuple(values[column] for column in key_columns)
            if "code" in values and values["code"] is not _BAD:
                self.file_codes[name].add(values["code"])
            if _BAD not in key_values:
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
            entry = _Entry(row.number, values, valid)
            self._check_row(name, entry)
            entries.append(entry)
        self.entries[name] = entries

    def _check_row(self, sheet: str, entry: _Entry) -> None:
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
        needs_reason = _("Give a reason: it is required unless the status is %(ok)s.")
        ok = " / ".join(str(Status(s).label) for s in sorted(STATUSES_WITHOUT_REASON))
        status = values["status"]
        if (
            status is not _BAD
            and status not in STATUSES_WITHOUT_REASON
            and not values["reason"]
        ):
            self.error(sheet, number, "reason", needs_reason % {"ok": ok})
            entry.valid = False
        approved = values["approved_status"]
        if not approved and (
            values["approved_progress"] not in (None, _BAD) or values["approved_reason"]
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
            and approved is not _BAD
            and approved not in STATUSES_WITHOUT_REASON
            and not values["approved_reason"]
        ):
            self.error(sheet, number, "approved_reason", needs_reason % {"ok": ok})
            entry.valid = False

    def _plan_entry(self) -> _Entry | None:
        entries = self.entries["plan"]
        if "plan" in self.broken_sheets:
            return None
        if len(entries) != 1:
            self.cells.sheet = "plan"
            rows = [e.number for e in entries[1:]] or [2]
            for number in rows:
                self.cells.error(
                    number, "code", _("The plan sheet must have exactly one row.")
                )
            return None
        entry = entries[0]
        code = entry.values["code"]
        if code is _BAD:
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

    def _file_series_codes(self) -> set[str]:
        return {str(code) for code in self.file_codes["series"]} | {
            e.values["series_code"]
            for e in self.entries["series_points"]
            if e.values["series_code"] is not _BAD
        }

    # -- references

    def _check_references(self, plan: Plan | None) -> None:
        existing = self.existing
        known: dict[str, set[Any]] = {
            name: self.file_codes[name] | existing.codes(name)
            for name in set(_REFERENCES.values())
        }
        for (sheet, column), target in _REFERENCES.items():
            if target in self.broken_sheets:
                continue
            message = _("No %(kind)s has this code, in the file or in the plan.") % {
                "kind": _label(_MODELS[target])
            }
            for entry in self.entries[sheet]:
                code = entry.values[column]
                if code is not _BAD and code not in known[target]:
                    self.error(sheet, entry.number, column, message, str(code))
                    entry.valid = False
        self._check_indicator_codes(known["indicators"])
        self._check_org_units()
        self._check_series_owner(plan)
        self._check_target_years()

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
                if code and code is not _BAD:
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
                if code and code is not _BAD and code not in units:
                    self.error(sheet, entry.number, "org_unit_code", message, code)
                    entry.valid = False

    def _check_series_owner(self, plan: Plan | None) -> None:
        owners = self.existing.series_owner
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

    def _check_target_years(self) -> None:
        baselines: dict[Any, int] = dict(self.existing.baseline_years)
        for entry in self.entries["indicators"]:
            year = entry.values["baseline_year"]
            if entry.values["code"] is not _BAD and isinstance(year, int):
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

    # -- writing

    def _write(self, plan_entry: _Entry, plan: Plan | None) -> None:
        existing = self.existing
        existing.load_rows()
        plan = self._write_plan(plan_entry, plan)
        self.result.plan = plan
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

    def _unit_id(self, code: str) -> int | None:
        return self.units[code].pk if code else None

    def _write_plan(self, entry: _Entry, plan: Plan | None) -> Plan:
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
                _bulk_update(model, changed, fields)
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
        created: list[StatusReport] = []
        changed: list[StatusReport] = []
        from_states: dict[int, str] = {}
        fields: set[str] = set()
        approved_fields = ("approved_status", "approved_progress", "approved_reason")
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
                report = StatusReport(
                    item_id=items[v["item_code"]].pk,
                    period_id=periods[v["period_code"]].pk,
                    approved_at=self.now if values["approved_status"] else None,
                    updated_by=self.user,
                    **values,
                )
                existing[entry.key] = report
                created.append(report)
            else:
                diff = [k for k, value in values.items() if getattr(report, k) != value]
                if not diff:
                    counts.unchanged += 1
                    continue
                from_states[report.pk] = report.state
                for name in diff:
                    setattr(report, name, values[name])
                if not report.approved_status:
                    report.approved_at = None
                elif report.approved_at is None or set(diff) & set(approved_fields):
                    report.approved_at = self.now
                report.version += 1
                report.updated_by = self.user
                report.updated_at = self.now
                fields.update(diff)
                changed.append(report)
            if len(codes) < AUDIT_CODES_PER_SHEET:
                codes.append(_key_text(entry.key))
        StatusReport.objects.bulk_create(created, batch_size=BATCH_SIZE)
        if changed:
            fields.update(["approved_at", "version", "updated_by_id", "updated_at"])
            _bulk_update(StatusReport, changed, fields)
        last_seq = self.existing.last_event_seqs() if changed else {}
        actor_repr = str(self.actor)[:200]
        events = [
            StatusReportEvent(
                report_id=report.pk,
                seq=last_seq.get(report.pk, 0) + 1,
                action=ReportAction.IMPORT,
                from_state=from_states.get(report.pk, ""),
                to_state=report.state,
                status=report.status,
                reason=report.reason,
                progress=report.progress,
                narrative=report.narrative,
                actor=self.user,
                actor_repr=actor_repr,
                created_at=self.now,
            )
            for report in (*created, *changed)
        ]
        StatusReportEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        counts.created += len(created)
        counts.updated += len(changed)

    def _record(self, plan: Plan) -> None:
        result = self.result
        for counts in result.sheets.values():
            result.created += counts.created
            result.updated += counts.updated
            result.unchanged += counts.unchanged
        audit.record(
            actor=self.actor,
            action="reforms.plan.import",
            target=plan,
            changes={
                "file": self.workbook.filename,
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


def _bulk_update(
    model: type[models.Model], objs: Sequence[models.Model], names: Iterable[str]
) -> None:
    """Write ``names`` (field names or attnames) of ``objs``, in batches.

    On PostgreSQL one ``UPDATE … FROM (VALUES …)`` per batch: Django's
    ``bulk_update`` builds a ``CASE WHEN`` per row and field, which takes 5 s
    for 5,000 status reports (most of it building expressions in Python).
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fields.update({f.name: f for f in model._meta.concrete_fields})
    chosen = sorted({fields[name] for name in names}, key=lambda f: f.attname)
    manager = model._default_manager
    if connection.vendor != "postgresql":
        manager.bulk_update(objs, [f.name for f in chosen], batch_size=BATCH_SIZE)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    columns = [pk, *chosen]
    names_sql = ", ".join(quote(str(f.column)) for f in columns)
    table = quote(model._meta.db_table)
    assignments = ", ".join(
        f"{quote(str(f.column))} = CAST(v.{quote(str(f.column))} "
        f"AS {f.db_type(connection)})"
        for f in chosen
    )
    match = (
        f"{table}.{quote(str(pk.column))} = "
        f"CAST(v.{quote(str(pk.column))} AS {pk.db_type(connection)})"
    )
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            batch = objs[start : start + BATCH_SIZE]
            params: list[Any] = []
            for obj in batch:
                params.extend(
                    f.get_db_prep_save(getattr(obj, f.attname), connection)
                    for f in columns
                )
            values_sql = ", ".join([row_sql] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 (names are ours)
                f"FROM (VALUES {values_sql}) AS v({names_sql}) WHERE {match}",
                params,
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


class _Existing:
    """What the plan already holds, keyed as in the file; one query per sheet.

    The levels that other sheets name by code are loaded first (they are needed
    to check references); the many rows below them only when writing.
    """

    def __init__(self, plan: Plan | None, series_codes: set[str]) -> None:
        self.plan = plan
        self.schedule: dict[Any, ScheduleEntry] = {}
        self.milestones: dict[Any, Milestone] = {}
        self.status_reports: dict[Any, StatusReport] = {}
        self.indicator_values: dict[Any, IndicatorValue] = {}
        self.item_links: dict[int, set[int]] = {}
        self.link_ids: dict[tuple[int, int], int] = {}
        # Series are global: those named in the file, and those of the plan.
        query = Series.objects.filter(code__in=series_codes)
        if plan is not None:
            query = query | Series.objects.filter(plan=plan)
        self.series: dict[Any, Series] = {s.code: s for s in query}
        self.series_owner = {s.code: s.plan_id for s in self.series.values()}
        if plan is None:
            self.stages: dict[Any, Stage] = {}
            self.pillars: dict[Any, Pillar] = {}
            self.initiatives: dict[Any, Initiative] = {}
            self.items: dict[Any, ActionItem] = {}
            self.indicators: dict[Any, Indicator] = {}
            self.periods: dict[Any, ReportingPeriod] = {}
            return
        self.stages = {o.code: o for o in Stage.objects.filter(plan=plan)}
        self.pillars = {o.code: o for o in Pillar.objects.filter(plan=plan)}
        self.initiatives = {o.code: o for o in Initiative.objects.filter(plan=plan)}
        self.items = {o.code: o for o in ActionItem.objects.filter(plan=plan)}
        self.indicators = {o.code: o for o in Indicator.objects.filter(plan=plan)}
        self.periods = {o.code: o for o in ReportingPeriod.objects.filter(plan=plan)}

    def codes(self, sheet: str) -> set[Any]:
        """The codes of a sheet's rows already in the plan."""
        if sheet == "series":
            plan_id = self.plan.pk if self.plan is not None else None
            return {
                code
                for code, owner in self.series_owner.items()
                if plan_id is not None and owner == plan_id
            }
        found: dict[Any, Any] = getattr(self, sheet)
        return set(found)

    @property
    def baseline_years(self) -> dict[Any, int]:
        return {code: o.baseline_year for code, o in self.indicators.items()}

    def load_rows(self) -> None:
        """The rows below the action items, indicators and periods."""
        plan = self.plan
        if plan is None:
            return
        item_codes = {o.pk: o.code for o in self.items.values()}
        period_codes = {o.pk: o.code for o in self.periods.values()}
        indicator_codes = {o.pk: o.code for o in self.indicators.values()}
        self.schedule = {
            (item_codes[o.item_id], o.fiscal_year, o.quarter): o
            for o in ScheduleEntry.objects.filter(item__plan=plan)
        }
        self.milestones = {
            (item_codes[o.item_id], o.title): o
            for o in Milestone.objects.filter(item__plan=plan)
        }
        self.status_reports = {
            (item_codes[o.item_id], period_codes[o.period_id]): o
            for o in StatusReport.objects.filter(period__plan=plan)
            if o.item_id in item_codes
        }
        self.indicator_values = {
            (indicator_codes[o.indicator_id], o.fiscal_year, o.kind): o
            for o in IndicatorValue.objects.filter(indicator__plan=plan)
        }
        through = ActionItem.indicators.through
        for link_id, item_id, indicator_id in through.objects.filter(
            actionitem__plan=plan
        ).values_list("pk", "actionitem_id", "indicator_id"):
            self.item_links.setdefault(item_id, set()).add(indicator_id)
            self.link_ids[(item_id, indicator_id)] = link_id

    def last_event_seqs(self) -> dict[int, int]:
        """The last history ``seq`` of each status report of the plan."""
        return dict(
            StatusReportEvent.objects.filter(report__period__plan=self.plan)
            .values("report_id")
            .annotate(last=Max("seq"))
            .values_list("report_id", "last")
        )

    def series_points(self, series: dict[Any, Series]) -> dict[Any, SeriesPoint]:
        codes = {s.pk: s.code for s in series.values()}
        return {
            (codes[p.series_id], p.on): p
            for p in SeriesPoint.objects.filter(series_id__in=list(codes))
        }


# --- Export -------------------------------------------------------------------


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
            _readme_rows(),
            widths={"sheet": 18, "column": 20, "説明": 70, "description": 70},
        )
        return write_xlsx([readme, *sheets])
    if fmt == "zip":
        text = "\n".join("\t".join(row) for row in _readme_rows()) + "\n"
        return write_csv_zip(sheets, extra_files={"README.txt": text})
    raise ValueError(f"unknown export format {fmt!r}")


def _natural(code: str) -> tuple[Any, ...]:
    """Sort key of a code with numbers in it: 1-2 before 1-10."""
    parts = _DIGITS.split(code)
    return (*(int(p) if i % 2 else p for i, p in enumerate(parts)), code)


_DIGITS = re.compile(r"(\d+)")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _ordered(rows: Iterable[tuple[Any, ...]], key: Callable[[Any], Any]) -> list[Any]:
    return sorted(rows, key=key)


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
        for r in _ordered(schedule, lambda r: (item_position[r[0]], r[1], r[2]))
    ]
    milestones = Milestone.objects.filter(item__plan=plan).values_list(
        "item_id", "title", "due_on", "done_on"
    )
    out["milestones"] = [
        [item_codes[r[0]], r[1], r[2].isoformat(), r[3].isoformat() if r[3] else ""]
        for r in _ordered(milestones, lambda r: (item_position[r[0]], r[2], r[1]))
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
        for r in _ordered(
            (r for r in reports if r[1] in item_codes),
            lambda r: (period_position[r[0]], item_position[r[1]]),
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
        for r in _ordered(values, lambda r: (indicator_position[r[0]], r[1], r[2]))
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
        for r in _ordered(points, lambda r: (series_position[r[0]], r[1]))
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


# Bilingual help shown on the README sheet (fixed text, in both languages at once).
_SHEET_HELP: dict[str, tuple[str, str]] = {
    "plan": ("計画そのもの（1行のみ）", "The plan itself (exactly one row)"),
    "stages": ("ステージ", "Stages"),
    "pillars": ("推進項目（ステージの下）", "Promotion items (under a stage)"),
    "initiatives": ("取組（推進項目の下）", "Initiatives (under a promotion item)"),
    "items": (
        "取組項目（取組の下）。進捗報告の単位",
        "Action items (under an initiative); progress is reported on them",
    ),
    "schedule": (
        "取組項目の年度・四半期ごとの予定",
        "What an action item plans per fiscal year or quarter",
    ),
    "milestones": ("取組項目のマイルストーン", "Milestones of action items"),
    "periods": (
        "報告期間（FY2024, FY2024-H1, FY2024-Q3）",
        "Reporting periods (FY2024, FY2024-H1, FY2024-Q3)",
    ),
    "status_reports": (
        "取組項目ごと・報告期間ごとの進捗報告",
        "Status report of an action item for a period",
    ),
    "indicators": ("検証指標", "Verification indicators"),
    "indicator_values": (
        "検証指標の年度ごとの実績値・目標値",
        "Yearly actual and target values of indicators",
    ),
    "series": ("運用データの時系列", "Operational time series"),
    "series_points": ("時系列の値", "Points of a time series"),
}
_COLUMN_HELP: dict[str, tuple[str, str]] = {
    "code": (
        "コード（この計画の中で一意。取り込みはコードで照合）",
        "Code, unique in the plan; import matches rows by it",
    ),
    "name_ja": ("名称（日本語）", "Name in Japanese"),
    "name_en": ("名称（英語、任意）", "Name in English (optional)"),
    "description": ("説明", "Description"),
    "start_fy": ("開始年度（西暦4桁）", "First fiscal year (4 digits)"),
    "end_fy": ("終了年度（西暦4桁）", "Last fiscal year (4 digits)"),
    "org_unit_code": ("担当組織のコード", "Code of the responsible organisation unit"),
    "is_public": (
        "市民に公開する（true / false）",
        "Published to citizens (true / false)",
    ),
    "goal": ("目標", "Goal"),
    "sort_order": ("表示順（整数）", "Display order (whole number)"),
    "stage_code": ("ステージのコード", "Code of the stage"),
    "pillar_code": ("推進項目のコード", "Code of the promotion item"),
    "initiative_code": ("取組のコード", "Code of the initiative"),
    "item_code": ("取組項目のコード", "Code of the action item"),
    "aim": ("ねらい", "Aim"),
    "weight": ("重み（0以上、空欄は1）", "Weight (0 or more; blank is 1)"),
    "indicator_codes": (
        "関連する検証指標のコード（カンマ区切り）",
        "Codes of related indicators, separated by commas",
    ),
    "fiscal_year": ("年度（西暦4桁）", "Fiscal year (4 digits)"),
    "quarter": ("四半期（1〜4、通年は0）", "Quarter (1–4; 0 for the whole year)"),
    "title": (
        "マイルストーン名（取組項目の中で一意）",
        "Milestone, unique within the action item",
    ),
    "due_on": ("期限（YYYY-MM-DD）", "Due date (YYYY-MM-DD)"),
    "done_on": (
        "達成日（YYYY-MM-DD、未達成は空欄）",
        "Date reached (YYYY-MM-DD; blank if not yet)",
    ),
    "deadline": (
        "報告期限（YYYY-MM-DD、空欄は期末の30日後）",
        "Reporting deadline (YYYY-MM-DD; blank: 30 days after the end)",
    ),
    "is_closed": ("締切済み（true / false）", "Closed (true / false)"),
    "period_code": ("報告期間のコード", "Code of the reporting period"),
    "state": (
        "確認状況: draft / submitted / returned / approved",
        "Review state: draft / submitted / returned / approved",
    ),
    "status": (
        "進捗: on_plan 計画通り / changed 一部変更・遅れ / done 完了 / "
        "not_started 未着手 / stopped 中止",
        "Status: on_plan / changed / done / not_started / stopped",
    ),
    "progress": ("進捗率（0〜100の整数）", "Progress in % (whole number 0–100)"),
    "reason": (
        "理由（計画通り・完了以外は必須）",
        "Reason (required unless on plan or done)",
    ),
    "narrative": ("取組状況", "What was done"),
    "review_comment": ("確認者のコメント", "Reviewer's comment"),
    "approved_status": (
        "承認された進捗（空欄なら承認時に進捗をコピー）",
        "Approved status (blank: copied from status when approved)",
    ),
    "approved_progress": ("承認された進捗率", "Approved progress in %"),
    "approved_reason": ("承認された理由", "Approved reason"),
    "group": ("グループ", "Group"),
    "unit": ("単位", "Unit"),
    "direction": (
        "望ましい方向: higher 高いほど良い / lower 低いほど良い",
        "Which way is better: higher / lower",
    ),
    "target_kind": (
        "目標の種類: at_least 以上 / at_most 以下",
        "Target kind: at_least (floor) / at_most (ceiling)",
    ),
    "baseline_year": ("基準年度", "Baseline fiscal year"),
    "baseline_value": ("基準値", "Baseline value"),
    "decimals": ("表示する小数桁数（0〜4）", "Decimal places shown (0–4)"),
    "source": ("出典", "Source"),
    "notes": ("備考", "Notes"),
    "indicator_code": ("検証指標のコード", "Code of the indicator"),
    "kind": ("種類: actual 実績 / target 目標", "Kind: actual / target"),
    "value": ("値", "Value"),
    "note": ("注記", "Note"),
    "frequency": (
        "頻度: monthly / quarterly / yearly",
        "Frequency: monthly / quarterly / yearly",
    ),
    "chart": (
        "同じグラフに描く系列の共通キー",
        "Series with the same chart key are drawn together",
    ),
    "series_code": (
        "時系列のコード（全計画で一意）",
        "Code of the series (unique across plans)",
    ),
    "on": ("日付（YYYY-MM-DD）", "Date (YYYY-MM-DD)"),
    "origin": ("入力元（空欄は import）", "Origin (blank: import)"),
}
_GENERAL_HELP = [
    (
        "取り込みはコードで照合して追加・更新します。ファイルにない行は削除しません。",
        "Import adds or updates rows matched by code; rows not in the file are kept.",
    ),
    (
        "誤りが1つでもあれば何も取り込まず、すべての誤りをシート・行・列で示します。",
        "If any cell is wrong nothing is imported, and every error is listed "
        "by sheet, row and column.",
    ),
    (
        "選択肢の列はコード（on_plan など）のほか日本語・英語の表示名も使えます。",
        "Choice columns take the code (e.g. on_plan) or its Japanese or English label.",
    ),
    (
        "このシート（README）は取り込み時に無視されます。",
        "This README sheet is ignored on import.",
    ),
]


def _readme_rows() -> list[list[str]]:
    rows: list[list[str]] = [["*", "", ja, en] for ja, en in _GENERAL_HELP]
    for sheet, columns in SHEETS.items():
        ja, en = _SHEET_HELP[sheet]
        rows.append([sheet, "", ja, en])
        for column in columns:
            if column.endswith("_label") or column.endswith("_label_en"):
                level = column.split("_label")[0]
                english = " (English)" if column.endswith("_en") else ""
                rows.append(
                    [
                        sheet,
                        column,
                        f"{level} の階層の呼び名{'（英語）' if english else ''}",
                        f"Name of the {level} level{english}",
                    ]
                )
                continue
            ja, en = _COLUMN_HELP[column]
            rows.append([sheet, column, ja, en])
    return rows
