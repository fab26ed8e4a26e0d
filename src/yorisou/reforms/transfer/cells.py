"""How each cell of a plan workbook is read and checked, sheet by sheet.

``PARSERS`` says, for every column of ``reforms.workbook.SHEETS``, how its text
becomes a value; a bad cell becomes a ``RowError`` and the value ``BAD``.
``KEYS`` are the columns rows are matched by, ``REFERENCES`` the columns that
name a row of another sheet.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from yorisou.core.tabular import Row, RowError
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
from yorisou.reforms.periods import parse_period_code, period_code

BAD = object()  # a cell that did not parse (its error is already recorded)
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


Parser = Callable[["Cells", Row, str], Any]


class Cells:
    """Parses the cells of the current sheet; each bad cell becomes a RowError."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.sheet = ""

    def error(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors.append(RowError(row, column, message, value, sheet=self.sheet))

    def required(self, row: Row, column: str) -> object:
        self.error(row.number, column, _("This value is required."))
        return BAD

    # Parsers: each takes (row, column) and returns the value or BAD.

    @staticmethod
    def text(max_length: int | None = None, *, required: bool = False) -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
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
                return BAD
            return value

        return parse

    @staticmethod
    def code(max_length: int, *, slug: bool = False) -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
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
                return BAD
            if slug and not _SLUG.match(value):
                cells.error(
                    row.number,
                    column,
                    _("Use only letters, digits, '-' and '_'."),
                    value,
                )
                return BAD
            return value

        return parse

    @staticmethod
    def whole(
        minimum: int = 0, maximum: int | None = None, default: int | None = 0
    ) -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if not raw:
                return default
            if raw.isascii() and raw.isdigit():
                value = int(raw)
                if value >= minimum and (maximum is None or value <= maximum):
                    return value
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
            return BAD

        return parse

    @staticmethod
    def year(*, required: bool = True) -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
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
                return BAD
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

        def parse(cells: Cells, row: Row, column: str) -> Any:
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
                return BAD
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                cells.error(
                    row.number,
                    column,
                    _("Enter a number with at most %(places)s decimal places.")
                    % {"places": places},
                    raw,
                )
                return BAD
            if abs(value) >= limit:
                cells.error(row.number, column, _("The number is too large."), raw)
                return BAD
            if minimum is not None and value < minimum:
                cells.error(
                    row.number,
                    column,
                    _("Enter a number of %(min)s or more.") % {"min": minimum},
                    raw,
                )
                return BAD
            return value

        return parse

    @staticmethod
    def day(*, required: bool = True) -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
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
                return BAD

        return parse

    @staticmethod
    def flag() -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            text = _normal(raw).casefold()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            cells.error(row.number, column, _("Enter true or false."), raw)
            return BAD

        return parse

    @staticmethod
    def choice(
        choices: type[models.TextChoices],
        *,
        required: bool = True,
        default: str = "",
    ) -> Parser:
        codes = frozenset(choices.values)

        def parse(cells: Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            if raw in codes:
                return raw
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
                return BAD
            return found

        return parse

    @staticmethod
    def period() -> Parser:
        known: dict[str, str] = {}  # codes seen, each parsed once

        def parse(cells: Cells, row: Row, column: str) -> Any:
            raw = row.get(column)
            found = known.get(raw)
            if found is not None:
                return found
            if not raw:
                return cells.required(row, column)
            try:
                found = period_code(*parse_period_code(_normal(raw)))
            except ValueError:
                found = None
            if found is not None:
                if len(known) < 1000:
                    known[raw] = found
                return found
            cells.error(
                row.number,
                column,
                _("Enter a period code such as FY2024, FY2024-H1 or FY2024-Q3."),
                raw,
            )
            return BAD

        return parse

    @staticmethod
    def codes() -> Parser:
        def parse(cells: Cells, row: Row, column: str) -> Any:
            text = _normal(row.get(column))
            return [code for code in _CODE_LIST.split(text) if code]

        return parse


C = Cells
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
PARSERS: dict[str, dict[str, Parser]] = {
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
KEYS: dict[str, tuple[str, ...]] = {
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
REFERENCES: dict[tuple[str, str], str] = {
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
MODELS: dict[str, type[models.Model]] = {
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
class Entry:
    """One parsed data row: its number and its values by column."""

    number: int
    values: dict[str, Any]
    valid: bool = True

    @property
    def key(self) -> Any:
        return self.values["__key__"]
