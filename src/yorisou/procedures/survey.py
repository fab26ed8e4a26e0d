"""The all-department survey of procedures (手続の全庁調査票): export and import.

Every section fills in one row per procedure it handles, and the file is read
back in one go. ``procedure_export`` writes the catalogue in the survey layout
(an .xlsx workbook with a bilingual README sheet, or one CSV file);
``procedure_import`` reads such a file. The import upserts by code, leaves
procedures that are not in the file alone, and is all or nothing: every bad cell
is reported as a ``RowError`` and nothing is written while there is one.

Layout: one sheet ``procedures``, one row per procedure. Row 1 holds the keys of
``COLUMNS`` (or their Japanese labels, so that a city's own survey sheet with
Japanese headers is read too), then any number of volume columns
``cases_FY<year>_<channel>`` (or ``件数_<year>年度_<窓口|郵送|電子>``). A volume
column speaks for its year and channel: an empty cell means no cases are
recorded and removes a volume the procedure had; years and channels without a
column are left alone.

A city has about 4,500 procedures with 9 volumes each, so the import works in
bulk: a fixed number of queries loads what exists, inserts and updates go in
bulk in one transaction, and one audit event sums up what changed.
"""

import csv
import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yorisou.accounts.constants import OrgLevel
from yorisou.accounts.models import OrgUnit
from yorisou.core import audit, permissions
from yorisou.core.bulk import bulk_update, insert_rows
from yorisou.core.constants import Role
from yorisou.core.tabular import (
    CellValue,
    ImportResult,
    Readable,
    Row,
    RowError,
    Sheet,
    SheetContent,
    TabularFormatError,
    cell_text,
    read_sheets,
    write_xlsx,
)
from yorisou.procedures import services
from yorisou.procedures.constants import Assurance, Channel, Kind, LegalBasis, TagKind
from yorisou.procedures.models import Procedure, ProcedureVolume, Tag
from yorisou.procedures.search import search_text_for

__all__ = ["COLUMNS", "Column", "procedure_export", "procedure_import"]

SHEET = "procedures"
README_SHEET = "README"
# The audit event lists at most this many created and this many updated codes.
AUDIT_CODES = 200
# Codes per ``IN (…)`` when loading what exists (well below SQLite's limit).
CHUNK = 2000
MAX_WHOLE = 2_147_483_647  # PositiveIntegerField
FIRST_YEAR, LAST_YEAR = 1900, 2100


@dataclass(frozen=True)
class Column:
    """A fixed column of the survey: key, Japanese header, help in both languages."""

    key: str
    label: str
    help_ja: str
    help_en: str


_FLAG_JA = "（true / false、はい / いいえ、○ / ×、1 / 0。空欄は false）"
COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "手続コード",
        "手続コード（必須。英数字・「-」・「_」で30文字以内）。取り込みはコードで照合",
        "Code (required; letters, digits, '-' and '_', at most 30); "
        "import matches rows by it",
    ),
    Column("name", "手続名", "手続名（必須）", "Name in Japanese (required)"),
    Column("name_en", "手続名（英語）", "手続名の英語表記", "Name in English"),
    Column(
        "kind",
        "種類",
        "種類（必須）: application 申請 / notification 届出 / request 請求 / "
        "offer 申出 / report 報告 / other その他",
        "Kind (required): application / notification / request / offer / "
        "report / other",
    ),
    Column(
        "section_code",
        "担当課コード",
        "担当課（課）の組織コード（必須）。一覧は下にあります",
        "Organisation code of the responsible section (required; listed below)",
    ),
    Column(
        "legal_basis_kind",
        "根拠の種類",
        "根拠の種類: national_law 法令 / municipal 条例・規則 / guideline 要綱・要領"
        " / none なし（空欄は none。根拠法令・条項を書いたときは必須）",
        "Kind of legal basis: national_law / municipal / guideline / none "
        "(blank: none; required when a law or article is given)",
    ),
    Column(
        "legal_basis",
        "根拠法令・条項",
        "根拠法令・条項（例: 住民基本台帳法第12条）",
        "Law and article (e.g. 住民基本台帳法第12条)",
    ),
    Column(
        "requires_presence",
        "対面での本人確認",
        "窓口での対面の本人確認が必要" + _FLAG_JA,
        "Identity is checked face to face (true / false; blank: false)",
    ),
    Column(
        "requires_wet_signature",
        "押印・自署",
        "押印または自署が必要" + _FLAG_JA,
        "Needs a seal or handwritten signature (true / false; blank: false)",
    ),
    Column(
        "fee",
        "手数料（円）",
        "手数料（円。0以上の整数、手数料がなければ空欄）",
        "Fee in yen (whole number, 0 or more; blank if there is none)",
    ),
    Column("attachments", "添付書類", "添付書類", "Required attachments"),
    Column(
        "assurance",
        "本人確認の水準",
        "オンラインで必要な本人確認: none なし / account アカウント / "
        "my_number_card マイナンバーカード（空欄は account）",
        "Identity assurance online: none / account / my_number_card (blank: account)",
    ),
    Column(
        "national_26",
        "子育て・介護の26手続",
        "国が示す子育て・介護関係の26手続の一つ" + _FLAG_JA,
        "One of the state's 26 child-rearing and care procedures (true / false)",
    ),
    Column(
        "national_31",
        "優先31手続",
        "国が示す優先的にオンライン化すべき31手続の一つ" + _FLAG_JA,
        "One of the state's 31 priority procedures (true / false)",
    ),
    Column(
        "life_events",
        "ライフイベント",
        "ライフイベントのコード（「,」「、」または空白で区切る）。一覧は下にあります",
        "Codes of life events, separated by ',' '、' or spaces (listed below)",
    ),
    Column(
        "categories",
        "分野",
        "分野のコード（区切りは同上）。一覧は下にあります",
        "Codes of categories, separated as above (listed below)",
    ),
    Column(
        "keywords",
        "キーワード",
        "検索用のキーワード（300文字以内）",
        "Keywords for search (at most 300 characters)",
    ),
)
KEYS = [column.key for column in COLUMNS]
VOLUME_PATTERN = "cases_FY<year>_<channel>"
_CHANNEL_JA = {Channel.COUNTER: "窓口", Channel.MAIL: "郵送", Channel.ONLINE: "電子"}

# Japanese words a city's own sheet uses for the choices, beside the codes and
# the labels of the active translations.
_CHOICE_ALIASES: dict[type[models.TextChoices], dict[str, str]] = {
    Kind: {
        "申請": Kind.APPLICATION,
        "届出": Kind.NOTIFICATION,
        "届け出": Kind.NOTIFICATION,
        "届": Kind.NOTIFICATION,
        "請求": Kind.REQUEST,
        "申出": Kind.OFFER,
        "申し出": Kind.OFFER,
        "報告": Kind.REPORT,
        "その他": Kind.OTHER,
    },
    LegalBasis: {
        "法令": LegalBasis.NATIONAL_LAW,
        "法律": LegalBasis.NATIONAL_LAW,
        "政令": LegalBasis.NATIONAL_LAW,
        "省令": LegalBasis.NATIONAL_LAW,
        "条例・規則": LegalBasis.MUNICIPAL,
        "条例": LegalBasis.MUNICIPAL,
        "規則": LegalBasis.MUNICIPAL,
        "要綱・要領": LegalBasis.GUIDELINE,
        "要綱": LegalBasis.GUIDELINE,
        "要領": LegalBasis.GUIDELINE,
        "なし": LegalBasis.NONE,
    },
    Assurance: {
        "なし": Assurance.NONE,
        "不要": Assurance.NONE,
        "アカウント": Assurance.ACCOUNT,
        "マイナンバーカード": Assurance.MY_NUMBER_CARD,
        "公的個人認証": Assurance.MY_NUMBER_CARD,
    },
}
_CHANNELS = {
    "counter": Channel.COUNTER,
    "mail": Channel.MAIL,
    "online": Channel.ONLINE,
    "窓口": Channel.COUNTER,
    "郵送": Channel.MAIL,
    "電子": Channel.ONLINE,
    "オンライン": Channel.ONLINE,
}
# 〇 (a kanji) and ◯ are typed for ○ as often as ○ itself.
_TRUE = frozenset({"true", "1", "yes", "y", "はい", "○", "〇", "◯", "要", "有", "あり"})
_FALSE = frozenset(
    {"false", "0", "no", "n", "いいえ", "×", "✕", "不要", "無", "なし", ""}
)
_CODE = re.compile(r"^[-A-Za-z0-9_]+$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")
_CODE_LIST = re.compile(r"[\s,、]+")
_VOLUME_HEADERS = (
    re.compile(r"^cases_fy(\d+)_(\w+)$"),
    re.compile(r"^件数_(\d+)年度_(\w+)$"),
)

T = TypeVar("T")


def _normal(text: str) -> str:
    """Full-width letters and digits made plain (１２３ → 123), stripped."""
    return (
        text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()
    )


def _header_text(text: str) -> str:
    return _normal(text).casefold()


_BY_HEADER = {
    _header_text(name): column.key
    for column in COLUMNS
    for name in (column.key, column.label)
}


@cache
def _choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for language in ("ja", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[_header_text(str(label))] = value
    for alias, value in _CHOICE_ALIASES.get(choices, {}).items():
        lookup[_header_text(alias)] = str(value)
    for value in choices.values:
        lookup[value.casefold()] = value
    return lookup


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Import -------------------------------------------------------------------


def procedure_import(
    *,
    actor: Any,
    stream_or_path: Readable | str | os.PathLike[str],
    filename: str = "",
    mark_sample: bool = False,
) -> ImportResult:
    """Create or update procedures (手続台帳) from a survey file; all or nothing.

    ``stream_or_path`` is an open .xlsx or .csv file (``filename`` tells which)
    or a path. Procedures are matched by code; those not in the file are left
    alone. Every bad cell is reported as a ``RowError`` (row number as seen in
    the file, column as headed in the file) and nothing is written while there
    is one. New procedures are marked as sample data with ``mark_sample``.

    System administrators and the reform office import any procedure; a
    procedure officer only procedures of sections in their scope (other rows are
    errors); anyone else gets ``PermissionDenied``. Raises
    ``TabularFormatError`` when the file cannot be read at all.
    """
    if permissions.has_role(actor, Role.SYSTEM_ADMIN, Role.REFORM_OFFICE):
        scoped = False
    elif permissions.has_role(actor, Role.PROCEDURE_OFFICER):
        scoped = True
    else:
        raise PermissionDenied
    if not filename and isinstance(stream_or_path, str | os.PathLike):
        filename = os.path.basename(stream_or_path)
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise TabularFormatError(_("Upload a .csv or .xlsx file."))
    sheet, sheet_errors = _survey_sheet(read_sheets(stream_or_path, filename))
    with transaction.atomic():
        check = _SurveyCheck(sheet, actor=actor, scoped=scoped)
        check.errors.extend(sheet_errors)
        check.run()
        if check.errors:
            return ImportResult(errors=check.errors)
        writer = _SurveyWriter(
            actor=actor, check=check, filename=filename, mark_sample=mark_sample
        )
        return writer.write()


def _survey_sheet(sheets: list[Sheet]) -> tuple[Sheet | None, list[RowError]]:
    """The sheet to read: the only one besides README, or the one named
    ``procedures``; other sheets are errors (their rows would be lost)."""
    candidates = [s for s in sheets if s.name.strip().lower() != README_SHEET.lower()]
    if len(candidates) == 1:
        chosen: Sheet | None = candidates[0]
    else:
        named = [s for s in candidates if s.name.strip().lower() == SHEET]
        chosen = named[0] if len(named) == 1 else None
    if chosen is not None and not chosen.header:
        raise TabularFormatError(_("The file is empty."))
    if not candidates:
        raise TabularFormatError(_("The file is empty."))
    message = _("Unknown sheet; the sheets are: %(names)s.") % {
        "names": f"{SHEET}, {README_SHEET}"
    }
    errors = [
        RowError(1, "", message, s.name, sheet=s.name)
        for s in candidates
        if s is not chosen
    ]
    return chosen, errors


@dataclass
class _Entry:
    """A valid row: the procedure's values (attnames), tags and volumes."""

    number: int
    code: str
    values: dict[str, Any]
    tag_ids: set[int]
    volumes: dict[tuple[int, str], int | None]


class _Bad(Exception):
    """A cell that does not parse (its error is already recorded)."""


# A cell parser: (text, row number, column as headed) → value, or raises _Bad.
_Parser = Callable[[str, int, str], Any]


class _SurveyCheck:
    """Every row of a survey sheet, checked against the file and the database.

    After ``run`` either ``errors`` lists every bad cell, or ``entries`` holds
    every row and ``existing`` the procedures they update (locked).
    """

    def __init__(self, sheet: Sheet | None, *, actor: Any, scoped: bool) -> None:
        self.sheet = sheet
        self.actor = actor
        self.scoped = scoped
        self.errors: list[RowError] = []
        self.entries: list[_Entry] = []
        self.existing: dict[str, Procedure] = {}
        self.columns: dict[str, str] = {}  # key → header as in the file
        self.volume_columns: dict[tuple[int, str], str] = {}
        self.seen: dict[str, int] = {}  # code → row number
        self.units: dict[str, OrgUnit] = {}  # by code
        self.units_by_id: dict[int, OrgUnit] = {}  # by id
        self.tags: dict[str, dict[str, int]] = {kind: {} for kind in TagKind.values}
        self.row_ok = True

    def error(self, row: int, column: str, message: str, value: str = "") -> None:
        self.errors.append(RowError(row, column, message, value))
        self.row_ok = False

    def run(self) -> None:
        if self.sheet is None:
            return
        self._header(self.sheet.header)
        rows = self.sheet.rows
        self.units = {u.code: u for u in OrgUnit.objects.only("code", "level", "path")}
        self.units_by_id = {u.pk: u for u in self.units.values()}
        tags = list(Tag.objects.values_list("pk", "kind", "code"))
        for pk, kind, code in tags:
            self.tags[kind].setdefault(code.casefold(), pk)
        for pk, kind, code in tags:
            self.tags[kind][code] = pk  # an exact match wins over a case-blind one
        self._load_existing(rows)
        for row in rows:
            self._row(row)

    # -- the header

    def _header(self, header: list[str]) -> None:
        for text in header:
            if not text:
                continue
            normal = _header_text(text)
            key = _BY_HEADER.get(normal)
            if key is not None:
                if key in self.columns:
                    self.error(1, text, _("This column is in the header twice."), text)
                else:
                    self.columns[key] = text
            elif normal.startswith(("cases", "件数")):
                self._volume_header(text, normal)
            else:
                self.error(
                    1,
                    text,
                    _("Unknown column; the columns are: %(columns)s.")
                    % {"columns": ", ".join([*KEYS, VOLUME_PATTERN])},
                    text,
                )
        for key in KEYS:
            if key not in self.columns:
                self.error(1, key, _("This column is missing from the header."))

    def _volume_header(self, text: str, normal: str) -> None:
        for pattern in _VOLUME_HEADERS:
            match = pattern.match(normal)
            if match is not None:
                break
        else:
            self.error(
                1,
                text,
                _("Name a volume column %(pattern)s, e.g. cases_FY2022_counter.")
                % {"pattern": VOLUME_PATTERN},
                text,
            )
            return
        digits, channel_text = match.groups()
        year = int(digits)
        channel = _CHANNELS.get(channel_text)
        if len(digits) != 4 or not FIRST_YEAR <= year <= LAST_YEAR:
            self.error(
                1,
                text,
                _(
                    "Write the fiscal year in the column name as 4 digits from "
                    "%(first)s to %(last)s, e.g. cases_FY2022_counter."
                )
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
                text,
            )
        elif channel is None:
            self.error(
                1,
                text,
                _("Unknown channel in the column name; use counter, mail or online."),
                text,
            )
        elif (year, channel) in self.volume_columns:
            self.error(1, text, _("This column is in the header twice."), text)
        else:
            self.volume_columns[(year, channel)] = text

    def _load_existing(self, rows: list[Row]) -> None:
        """The procedures the file names, locked until the import commits."""
        column = self.columns.get("code")
        if column is None:
            return
        codes = sorted({_normal(row.cells.get(column, "")) for row in rows} - {""})
        for chunk in _chunks(codes):
            query = Procedure.objects.select_for_update().filter(code__in=chunk)
            for procedure in query.order_by("pk"):
                self.existing[procedure.code] = procedure

    # -- the rows

    def _row(self, row: Row) -> None:
        self.row_ok = True
        values: dict[str, Any] = {}
        code = self._parse(row, "code", self._code)
        values["name"] = self._parse(row, "name", self._text(300, required=True))
        values["name_en"] = self._parse(row, "name_en", self._text(300))
        values["kind"] = self._parse(row, "kind", self._choice(Kind, required=True))
        section = self._parse(row, "section_code", self._section)
        legal_basis = self._parse(row, "legal_basis", self._text(300))
        values["legal_basis_kind"] = self._parse(
            row,
            "legal_basis_kind",
            self._choice(LegalBasis, required=bool(legal_basis), empty="none"),
        )
        values["legal_basis"] = legal_basis
        for key in ("requires_presence", "requires_wet_signature"):
            values[key] = self._parse(row, key, self._flag)
        values["fee"] = self._parse(row, "fee", self._whole)
        values["attachments"] = self._parse(row, "attachments", self._text(None))
        values["assurance"] = self._parse(
            row, "assurance", self._choice(Assurance, empty=Assurance.ACCOUNT)
        )
        for key in ("national_26", "national_31"):
            values[key] = self._parse(row, key, self._flag)
        tag_ids: set[int] = set()
        for key, kind in (
            ("life_events", TagKind.LIFE_EVENT),
            ("categories", TagKind.CATEGORY),
        ):
            tag_ids |= self._parse(row, key, self._tags(kind)) or set()
        values["keywords"] = self._parse(row, "keywords", self._text(300))
        volumes: dict[tuple[int, str], int | None] = {}
        for year_channel, column in self.volume_columns.items():
            raw = row.cells.get(column, "")
            with suppress(_Bad):
                volumes[year_channel] = self._whole(raw, row.number, column)
        if row.cells.get("", "").strip():
            self.error(
                row.number,
                "",
                _("This row has a value in a column without a header."),
                row.cells[""].strip()[:50],
            )
        if code and section:
            self._check_scope(row.number, code, section)
        if self.row_ok and code and section:
            values["org_unit_id"] = section.pk
            bureau = self.units.get(section.path.split("/", 1)[0], section)
            values["bureau_id"] = bureau.pk
            self.entries.append(_Entry(row.number, code, values, tag_ids, volumes))

    def _parse(self, row: Row, key: str, parse: _Parser) -> Any:
        column = self.columns.get(key)
        if column is None:
            return None  # already an error of the header
        try:
            return parse(row.cells.get(column, ""), row.number, column)
        except _Bad:
            return None

    def _fail(self, row: int, column: str, message: str, raw: str) -> _Bad:
        self.error(row, column, message, raw.strip()[:100])
        return _Bad()

    def _code(self, raw: str, row: int, column: str) -> str:
        code = _normal(raw)
        if not code:
            raise self._fail(row, column, _("This value is required."), raw)
        if len(code) > 30:
            raise self._fail(row, column, _too_long(30, len(code)), raw)
        if not _CODE.match(code):
            raise self._fail(
                row, column, _("Use only letters, digits, '-' and '_'."), raw
            )
        first = self.seen.get(code)
        if first is not None:
            message = _("Duplicate code (also on row %(row)s).") % {"row": first}
            raise self._fail(row, column, message, raw)
        self.seen[code] = row
        return code

    def _text(self, max_length: int | None, *, required: bool = False) -> _Parser:
        def parse(raw: str, row: int, column: str) -> str:
            value = raw.strip().replace("\r\n", "\n").replace("\r", "\n")
            if required and not value:
                raise self._fail(row, column, _("This value is required."), raw)
            if max_length is not None and len(value) > max_length:
                raise self._fail(row, column, _too_long(max_length, len(value)), raw)
            return value

        return parse

    def _choice(
        self,
        choices: type[models.TextChoices],
        *,
        required: bool = False,
        empty: str = "",
    ) -> _Parser:
        def parse(raw: str, row: int, column: str) -> str:
            text = _header_text(raw)
            if not text:
                if required:
                    raise self._fail(row, column, _("This value is required."), raw)
                return empty
            found = _choice_lookup(choices).get(text)
            if found is None:
                message = _("Unknown value; use one of: %(choices)s.") % {
                    "choices": ", ".join(choices.values)
                }
                raise self._fail(row, column, message, raw)
            return found

        return parse

    def _flag(self, raw: str, row: int, column: str) -> bool:
        text = _header_text(raw)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._fail(row, column, _("Enter true or false."), raw)

    def _whole(self, raw: str, row: int, column: str) -> int | None:
        text = _normal(raw)
        if not text:
            return None
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        if not (text.isascii() and text.isdigit()):
            message = _("Enter a whole number of %(min)s or more.") % {"min": 0}
            raise self._fail(row, column, message, raw)
        value = int(text)
        if value > MAX_WHOLE:
            raise self._fail(row, column, _("The number is too large."), raw)
        return value

    def _section(self, raw: str, row: int, column: str) -> OrgUnit:
        code = _normal(raw)
        if not code:
            raise self._fail(row, column, _("This value is required."), raw)
        unit = self.units.get(code)
        if unit is None:
            raise self._fail(row, column, _("No organisation unit has this code."), raw)
        if unit.level != OrgLevel.SECTION:
            message = _(
                "Give the code of a section (課), not of a bureau or department."
            )
            raise self._fail(row, column, message, raw)
        return unit

    def _tags(self, kind: str) -> _Parser:
        known = self.tags[kind]

        def parse(raw: str, row: int, column: str) -> set[int]:
            codes = [c for c in _CODE_LIST.split(_normal(raw)) if c]
            unknown = [c for c in codes if c not in known and c.casefold() not in known]
            if unknown:
                if kind == TagKind.LIFE_EVENT:
                    message = _("Unknown life event code: %(codes)s.")
                else:
                    message = _("Unknown category code: %(codes)s.")
                raise self._fail(
                    row, column, message % {"codes": ", ".join(unknown)}, raw
                )
            return {known.get(c) or known[c.casefold()] for c in codes}

        return parse

    def _check_scope(self, row: int, code: str, section: OrgUnit) -> None:
        """A procedure officer imports only procedures of their sections."""
        if not self.scoped:
            return
        actor = self.actor
        if not permissions.has_role(actor, Role.PROCEDURE_OFFICER, org_unit=section):
            self.error(
                row,
                self.columns["section_code"],
                _("You may not import procedures of this section."),
                section.code,
            )
        procedure = self.existing.get(code)
        if procedure is None:
            return
        current = self.units_by_id.get(procedure.org_unit_id)
        if current is None or not permissions.has_role(
            actor, Role.PROCEDURE_OFFICER, org_unit=current
        ):
            self.error(
                row,
                self.columns["code"],
                _("This procedure belongs to a section you may not change (%(code)s).")
                % {"code": current.code if current else ""},
                code,
            )


def _too_long(limit: int, length: int) -> str:
    return _("At most %(max)s characters (this has %(length)s).") % {
        "max": limit,
        "length": length,
    }


# --- Writing ------------------------------------------------------------------


@dataclass
class _Changes:
    """What the writer will do, collected before any write."""

    created: list[tuple[_Entry, Procedure]] = field(default_factory=list)
    updated: list[Procedure] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    links_added: list[tuple[int, int]] = field(default_factory=list)
    links_removed: list[int] = field(default_factory=list)
    volumes_added: list[tuple[int, int, str, int]] = field(default_factory=list)
    volumes_changed: list[ProcedureVolume] = field(default_factory=list)
    volumes_removed: list[int] = field(default_factory=list)
    codes: dict[str, list[str]] = field(
        default_factory=lambda: {"created": [], "updated": []}
    )


class _SurveyWriter:
    """Writes the rows of a checked survey in bulk, with one audit event."""

    def __init__(
        self, *, actor: Any, check: _SurveyCheck, filename: str, mark_sample: bool
    ) -> None:
        self.actor = actor
        self.check = check
        self.filename = filename
        self.mark_sample = mark_sample
        self.result = ImportResult()
        self.changes = _Changes()

    def write(self) -> ImportResult:
        ids = sorted(p.pk for p in self.check.existing.values())
        links: dict[int, dict[int, int]] = defaultdict(dict)
        through = Procedure.tags.through
        volumes: dict[int, dict[tuple[int, str], tuple[int, int]]] = defaultdict(dict)
        for chunk in _chunks(ids):
            link_rows = through.objects.filter(procedure_id__in=chunk).values_list(
                "pk", "procedure_id", "tag_id"
            )
            for pk, procedure_id, tag_id in link_rows:
                links[procedure_id][tag_id] = pk
            volume_rows = ProcedureVolume.objects.filter(
                procedure_id__in=chunk
            ).values_list("pk", "procedure_id", "fiscal_year", "channel", "cases")
            for pk, procedure_id, year, channel, cases in volume_rows:
                volumes[procedure_id][(year, channel)] = (pk, cases)
        for entry in self.check.entries:
            procedure = self.check.existing.get(entry.code)
            if procedure is None:
                self._create(entry)
            else:
                self._update(
                    entry, procedure, links[procedure.pk], volumes[procedure.pk]
                )
        self._save()
        self._record()
        return self.result

    def _note(self, kind: str, code: str) -> None:
        codes = self.changes.codes[kind]
        if len(codes) < AUDIT_CODES:
            codes.append(code)

    def _create(self, entry: _Entry) -> None:
        values = entry.values
        procedure = Procedure(
            code=entry.code,
            search_text=search_text_for(
                name=values["name"], keywords=values["keywords"]
            ),
            is_sample=self.mark_sample,
            **values,
        )
        self.changes.created.append((entry, procedure))
        self._note("created", entry.code)

    def _update(
        self,
        entry: _Entry,
        procedure: Procedure,
        links: dict[int, int],
        volumes: dict[tuple[int, str], tuple[int, int]],
    ) -> None:
        changes = self.changes
        values = entry.values
        diff = [
            name for name, value in values.items() if getattr(procedure, name) != value
        ]
        for name in diff:
            setattr(procedure, name, values[name])
        if "name" in diff or "keywords" in diff:
            text = search_text_for(name=values["name"], keywords=values["keywords"])
            if text != procedure.search_text:
                procedure.search_text = text
                diff.append("search_text")
        touched = bool(diff)
        for tag_id in sorted(entry.tag_ids - links.keys()):
            changes.links_added.append((procedure.pk, tag_id))
            touched = True
        for tag_id in links.keys() - entry.tag_ids:
            changes.links_removed.append(links[tag_id])
            touched = True
        for (year, channel), cases in entry.volumes.items():
            current = volumes.get((year, channel))
            if current is None:
                if cases is not None:
                    changes.volumes_added.append((procedure.pk, year, channel, cases))
                    touched = True
            elif cases is None:
                changes.volumes_removed.append(current[0])
                touched = True
            elif cases != current[1]:
                volume = ProcedureVolume(pk=current[0], cases=cases)
                changes.volumes_changed.append(volume)
                touched = True
        if touched:
            changes.fields.update(diff)
            changes.updated.append(procedure)
            self._note("updated", entry.code)
        else:
            self.result.unchanged += 1

    def _save(self) -> None:
        changes = self.changes
        created = [procedure for _, procedure in changes.created]
        Procedure.objects.bulk_create(created, batch_size=1000)
        if any(procedure.pk is None for procedure in created):  # no RETURNING
            pks = dict(
                Procedure.objects.filter(
                    code__in=[p.code for p in created]
                ).values_list("code", "pk")
            )
            for procedure in created:
                procedure.pk = pks[procedure.code]
        for entry, procedure in changes.created:
            changes.links_added.extend((procedure.pk, t) for t in sorted(entry.tag_ids))
            changes.volumes_added.extend(
                (procedure.pk, year, channel, cases)
                for (year, channel), cases in sorted(entry.volumes.items())
                if cases is not None
            )
        if changes.updated:
            now = timezone.now()
            for procedure in changes.updated:
                procedure.updated_at = now  # bulk updates do not apply auto_now
            bulk_update(Procedure, changes.updated, [*changes.fields, "updated_at"])
        through = Procedure.tags.through
        for chunk in _chunks(changes.links_removed):
            through.objects.filter(pk__in=chunk).delete()
        insert_rows(through, ["procedure_id", "tag_id"], changes.links_added)
        for chunk in _chunks(changes.volumes_removed):
            ProcedureVolume.objects.filter(pk__in=chunk).delete()
        if changes.volumes_changed:
            bulk_update(ProcedureVolume, changes.volumes_changed, ["cases"])
        insert_rows(
            ProcedureVolume,
            ["procedure_id", "fiscal_year", "channel", "cases"],
            changes.volumes_added,
        )
        self.result.created = len(created)
        self.result.updated = len(changes.updated)

    def _record(self) -> None:
        """One audit event that sums up the import (if it changed anything)."""
        result, changes = self.result, self.changes
        if not (result.created or result.updated):
            return
        audit.record(
            actor=self.actor,
            action="procedures.survey.import",
            target_type=Procedure._meta.label_lower,
            target_repr=self.filename[:300],
            changes={
                "file": self.filename,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "volumes": {
                    "created": len(changes.volumes_added),
                    "updated": len(changes.volumes_changed),
                    "deleted": len(changes.volumes_removed),
                },
                "codes": changes.codes,
            },
        )
        services.catalogue_changed()


# --- Export -------------------------------------------------------------------


def procedure_export(*, actor: Any, fmt: str = "xlsx") -> bytes:
    """Every procedure of the catalogue in the survey layout (手続の全庁調査票).

    ``fmt`` is ``xlsx`` (the ``procedures`` sheet and a bilingual ``README``
    sheet) or ``csv`` (UTF-8 with BOM, for Excel). Rows are ordered by code,
    with a volume column for every fiscal year and channel that has volumes;
    export → import → export gives the same content. Staff only.
    """
    if not permissions.is_staff_member(actor):
        raise PermissionDenied
    header, rows = _export_table()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([cell_text(value) for value in row] for row in rows)
        return ("\ufeff" + out.getvalue()).encode()
    if fmt == "xlsx":
        flags = ["true", "false"]
        survey = SheetContent(
            SHEET,
            header,
            rows,
            choices={
                "kind": Kind.values,
                "legal_basis_kind": LegalBasis.values,
                "assurance": Assurance.values,
                **{key: flags for key in _FLAG_KEYS},
            },
            widths={"name": 36, "name_en": 30, "legal_basis": 28, "attachments": 36},
        )
        readme = SheetContent(
            README_SHEET,
            ["column", "見出し / コード", "説明", "description"],
            readme_rows(),
            widths={"column": 26, "見出し / コード": 24, "説明": 70, "description": 70},
        )
        return write_xlsx([survey, readme])
    raise ValueError(f"unknown export format {fmt!r}")


_FLAG_KEYS = (
    "requires_presence",
    "requires_wet_signature",
    "national_26",
    "national_31",
)
_EXPORT_FIELDS = (
    "pk",
    "code",
    "name",
    "name_en",
    "kind",
    "org_unit__code",
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
)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def volume_column(fiscal_year: int, channel: str) -> str:
    """The key of a volume column: ``cases_FY2022_counter``."""
    return f"cases_FY{fiscal_year}_{channel}"


def _export_table() -> tuple[list[str], list[list[CellValue]]]:
    """The header and rows of the survey sheet, in four queries."""
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for procedure_id, kind, code in Procedure.tags.through.objects.order_by(
        "tag__sort_order", "tag__code"
    ).values_list("procedure_id", "tag__kind", "tag__code"):
        tags[procedure_id][kind].append(code)
    volumes: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for procedure_id, year, channel, cases in ProcedureVolume.objects.values_list(
        "procedure_id", "fiscal_year", "channel", "cases"
    ):
        volumes[procedure_id][(year, channel)] = cases
    order = {channel: n for n, channel in enumerate(Channel.values)}
    keys = sorted(
        {key for found in volumes.values() for key in found},
        key=lambda key: (key[0], order[key[1]]),
    )
    rows: list[list[CellValue]] = []
    procedures = Procedure.objects.values_list(*_EXPORT_FIELDS)
    for values in sorted(procedures, key=lambda values: values[1]):
        pk = values[0]
        row: dict[str, Any] = dict(zip(_EXPORT_FIELDS, values, strict=True))
        found = volumes.get(pk, {})
        rows.append(
            [
                row["code"],
                row["name"],
                row["name_en"],
                row["kind"],
                row["org_unit__code"],
                row["legal_basis_kind"],
                row["legal_basis"],
                _flag(row["requires_presence"]),
                _flag(row["requires_wet_signature"]),
                row["fee"],
                row["attachments"],
                row["assurance"],
                _flag(row["national_26"]),
                _flag(row["national_31"]),
                ",".join(tags[pk][TagKind.LIFE_EVENT]) if pk in tags else "",
                ",".join(tags[pk][TagKind.CATEGORY]) if pk in tags else "",
                row["keywords"],
                *(found.get(key) for key in keys),
            ]
        )
    header = [*KEYS, *(volume_column(year, channel) for year, channel in keys)]
    return header, rows


# Bilingual help on the README sheet (read by people using either language, so
# fixed text rather than translations).
_GENERAL_HELP = [
    (
        "1行目は列のキー（code など）です。"
        "日本語の見出し（手続コード など）も使えます。",
        "Row 1 holds the column keys (code …); the Japanese headers also work.",
    ),
    (
        "取り込みは手続コードで照合して追加・更新します。ファイルにない手続は削除しません。",
        "Import adds or updates procedures matched by code; others are kept.",
    ),
    (
        "誤りが1つでもあれば何も取り込まず、すべての誤りを行・列で示します。",
        "If any cell is wrong nothing is imported, and every error is listed "
        "by row and column.",
    ),
    (
        "選択肢の列はコード（application など）のほか日本語・英語の表示名も使えます。",
        "Choice columns take the code (e.g. application) or its Japanese or "
        "English label.",
    ),
    (
        "このシート（README）は取り込み時に無視されます。",
        "This README sheet is ignored on import.",
    ),
]


def readme_rows() -> list[list[str]]:
    """Every column explained in Japanese and English, then the codes of tags
    and sections that the survey's rows may use."""
    rows: list[list[str]] = [["*", "", ja, en] for ja, en in _GENERAL_HELP]
    rows.extend([c.key, c.label, c.help_ja, c.help_en] for c in COLUMNS)
    rows.append(
        [
            VOLUME_PATTERN,
            "件数_<年度>年度_<窓口|郵送|電子>",
            "年間件数。年度（西暦4桁）と受付チャネル（counter 窓口 / mail 郵送 / "
            "online 電子）ごとに1列（例: cases_FY2022_counter）。空欄は件数なし"
            "（登録済みの件数は削除）。列のない年度・チャネルは変更しません",
            "Cases a year, one column per fiscal year and channel (counter / mail "
            "/ online), e.g. cases_FY2022_counter. Blank: no cases (a recorded "
            "figure is removed). Years and channels without a column are kept",
        ]
    )
    for key, kind in (
        ("life_events", TagKind.LIFE_EVENT),
        ("categories", TagKind.CATEGORY),
    ):
        rows.extend(
            [key, code, name, name_en]
            for code, name, name_en in Tag.objects.filter(kind=kind).values_list(
                "code", "name", "name_en"
            )
        )
    rows.extend(
        ["section_code", code, name, name_en]
        for code, name, name_en in OrgUnit.objects.filter(
            level=OrgLevel.SECTION, is_active=True
        ).values_list("code", "name", "name_en")
    )
    return rows
