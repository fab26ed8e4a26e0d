"""The all-department survey (手続の全庁調査票): checks, writes, export, commands."""

import csv
import io
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

import pytest
from openpyxl import Workbook

from yorisou.cli import main as cli_main
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.core.tabular import TabularFormatError, read_sheets
from yorisou.procedures import survey
from yorisou.procedures.models import (
    CandidateSelection,
    Procedure,
    ProcedureVolume,
    Tag,
    TriageDecision,
)
from yorisou.procedures.search import search_text_for
from yorisou.procedures.tests.factories import TagFactory

pytestmark = pytest.mark.django_db

ACTION = "procedures.survey.import"
VOLUMES = ["cases_FY2022_counter", "cases_FY2022_mail", "cases_FY2022_online"]
HEADER = [*survey.KEYS, *VOLUMES]


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are asserted in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def tags(db: Any) -> dict[str, Any]:
    return {
        "birth": TagFactory(kind="life_event", code="birth", name="出産"),
        "moving": TagFactory(kind="life_event", code="moving", name="引越し"),
        "childcare": TagFactory(kind="category", code="childcare", name="子育て"),
    }


def _rows() -> list[dict[str, Any]]:
    """Three valid rows, written as a city would: labels, ○/×, numbers."""
    return [
        {
            "code": "P-001",
            "name": "住民票の写しの交付請求",
            "name_en": "Copy of the residence record",
            "kind": "請求",
            "section_code": 351030,
            "legal_basis_kind": "national_law",
            "legal_basis": "住民基本台帳法第12条",
            "requires_presence": "true",
            "requires_wet_signature": "false",
            "fee": 300,
            "attachments": "本人確認書類",
            "assurance": "my_number_card",
            "national_26": "false",
            "national_31": "true",
            "life_events": "moving",
            "categories": "",
            "keywords": "住民票 写し",
            "cases_FY2022_counter": 900,
            "cases_FY2022_mail": 50,
            "cases_FY2022_online": 100,
        },
        {
            "code": "P-002",
            "name": "児童手当の認定請求",
            "kind": "application",
            "section_code": "351020",
            "legal_basis_kind": "条例",
            "requires_presence": "はい",
            "national_26": "○",
            "life_events": "moving、birth",
            "categories": "childcare",
            "cases_FY2022_counter": 200,
            "cases_FY2022_online": 100,
        },
        {
            "code": "P_003",
            "name": "犬の登録",
            "kind": "届出",
            "section_code": "202020",
            "requires_wet_signature": "×",
            "fee": 0,
        },
    ]


def _xlsx(rows: list[dict[str, Any]], header: list[str] = HEADER, keys=None) -> bytes:
    """A workbook as a city would make it; ``keys`` maps header → row key."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "procedures"
    sheet.append(header)
    keys = keys or {}
    for row in rows:
        sheet.append([row.get(keys.get(column, column), "") for column in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv(rows, header=HEADER, encoding="utf-8", keys=None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    keys = keys or {}
    writer.writerows([row.get(keys.get(c, c), "") for c in header] for row in rows)
    return out.getvalue().encode(encoding)


def _import(data: bytes, filename: str = "survey.xlsx", actor: Any = SYSTEM, **kw):
    return survey.procedure_import(
        actor=actor, stream_or_path=io.BytesIO(data), filename=filename, **kw
    )


def _counts() -> dict[str, int]:
    return {
        "procedures": Procedure.objects.count(),
        "volumes": ProcedureVolume.objects.count(),
        "tag links": Procedure.tags.through.objects.count(),
        "tags": Tag.objects.count(),
        "decisions": TriageDecision.objects.count(),
        "selections": CandidateSelection.objects.count(),
        "audit": AuditEvent.objects.filter(action=ACTION).count(),
    }


def _where(result) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.errors]


def test_a_valid_survey_creates_procedures_tags_and_volumes(
    org, tags, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = _import(_xlsx(_rows()))
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert len(callbacks) == 2  # the KPI refresh, and sealing the audit event
    first = Procedure.objects.get(code="P-001")
    assert (first.kind, first.org_unit, first.bureau) == (
        "request",
        org["elderly"],
        org["health"],
    )
    assert (first.legal_basis_kind, first.fee, first.assurance) == (
        "national_law",
        300,
        "my_number_card",
    )
    assert (first.requires_presence, first.requires_wet_signature) == (True, False)
    assert (first.national_26, first.national_31, first.is_sample) == (
        False,
        True,
        False,
    )
    assert first.search_text == search_text_for(
        name="住民票の写しの交付請求", keywords="住民票 写し"
    )
    second = Procedure.objects.get(code="P-002")
    assert (second.legal_basis_kind, second.assurance, second.fee) == (
        "municipal",
        "account",
        None,
    )
    assert (second.requires_presence, second.national_26) == (True, True)
    assert sorted(t.code for t in second.tags.all()) == ["birth", "childcare", "moving"]
    third = Procedure.objects.get(code="P_003")
    assert (third.kind, third.bureau, third.legal_basis_kind) == (
        "notification",
        org["general"],
        "none",
    )
    assert (third.fee, third.requires_wet_signature) == (0, False)
    volumes = sorted(
        ProcedureVolume.objects.values_list(
            "procedure__code", "fiscal_year", "channel", "cases"
        )
    )
    assert volumes == [
        ("P-001", 2022, "counter", 900),
        ("P-001", 2022, "mail", 50),
        ("P-001", 2022, "online", 100),
        ("P-002", 2022, "counter", 200),
        ("P-002", 2022, "online", 100),
    ]
    event = AuditEvent.objects.get(action=ACTION)
    assert event.changes["created"] == 3
    assert event.changes["codes"] == {
        "created": ["P-001", "P-002", "P_003"],
        "updated": [],
    }
    assert event.changes["volumes"] == {"created": 5, "updated": 0, "deleted": 0}


def test_new_procedures_are_marked_as_sample_when_asked(org, tags):
    assert _import(_xlsx(_rows()), mark_sample=True).ok
    assert Procedure.objects.filter(is_sample=True).count() == 3


def _without(column):
    def change(header, rows):
        header.remove(column)

    return change


def _with_column(column):
    def change(header, rows):
        header.append(column)

    return change


def _cell(row, column, value):
    def change(header, rows):
        rows[row - 2][column] = value

    return change


def _unnamed_column(header, rows):
    header.insert(2, "")
    rows[1][""] = "memo"


BAD_CELLS = {
    "missing column": (_without("fee"), (1, "fee")),
    "unknown column": (_with_column("remarks"), (1, "remarks")),
    "column twice": (_with_column("手続名"), (1, "手続名")),
    "volume column with a short year": (
        _with_column("cases_FY22_counter"),
        (1, "cases_FY22_counter"),
    ),
    "volume column with a year out of range": (
        _with_column("cases_FY1800_counter"),
        (1, "cases_FY1800_counter"),
    ),
    "volume column with an unknown channel": (
        _with_column("cases_FY2022_fax"),
        (1, "cases_FY2022_fax"),
    ),
    "volume column without a channel": (
        _with_column("cases_2022"),
        (1, "cases_2022"),
    ),
    "a value under a column without a header": (_unnamed_column, (3, "")),
    "no code": (_cell(2, "code", ""), (2, "code")),
    "no name": (_cell(3, "name", " "), (3, "name")),
    "no kind": (_cell(2, "kind", ""), (2, "kind")),
    "no section": (_cell(4, "section_code", ""), (4, "section_code")),
    "duplicate code": (_cell(4, "code", "P-001"), (4, "code")),
    "code with a space": (_cell(2, "code", "P 001"), (2, "code")),
    "code in kanji": (_cell(2, "code", "手続1"), (2, "code")),
    "code too long": (_cell(2, "code", "P" * 31), (2, "code")),
    "name too long": (_cell(2, "name", "名" * 301), (2, "name")),
    "unknown section": (_cell(2, "section_code", "999999"), (2, "section_code")),
    "a department, not a section": (
        _cell(2, "section_code", "3510"),
        (2, "section_code"),
    ),
    "unknown kind": (_cell(3, "kind", "許可"), (3, "kind")),
    "unknown legal basis": (
        _cell(2, "legal_basis_kind", "treaty"),
        (2, "legal_basis_kind"),
    ),
    "law without its kind": (
        _cell(2, "legal_basis_kind", ""),
        (2, "legal_basis_kind"),
    ),
    "unknown assurance": (_cell(2, "assurance", "password"), (2, "assurance")),
    "bad boolean": (_cell(3, "requires_presence", "maybe"), (3, "requires_presence")),
    "negative fee": (_cell(2, "fee", -1), (2, "fee")),
    "fee with decimals": (_cell(2, "fee", 1.5), (2, "fee")),
    "fee in words": (_cell(2, "fee", "無料"), (2, "fee")),
    "negative volume": (
        _cell(2, "cases_FY2022_mail", -5),
        (2, "cases_FY2022_mail"),
    ),
    "volume with decimals": (
        _cell(3, "cases_FY2022_online", "10.5"),
        (3, "cases_FY2022_online"),
    ),
    "volume too large": (
        _cell(3, "cases_FY2022_online", "9999999999"),
        (3, "cases_FY2022_online"),
    ),
    "unknown life event": (
        _cell(2, "life_events", "moving,wedding"),
        (2, "life_events"),
    ),
    "a life event as a category": (_cell(3, "categories", "birth"), (3, "categories")),
}


@pytest.mark.parametrize(("change", "where"), BAD_CELLS.values(), ids=BAD_CELLS)
def test_a_bad_cell_is_reported_and_nothing_is_written(org, tags, change, where):
    header, rows = list(HEADER), _rows()
    change(header, rows)
    before = _counts()
    result = _import(_xlsx(rows, header))
    assert _where(result) == [where], result.errors
    assert all(error.message for error in result.errors)
    assert (result.created, result.updated) == (0, 0)
    assert _counts() == before


def test_every_bad_cell_is_reported_at_once(org, tags):
    rows = _rows()
    rows[0]["kind"] = "?"
    rows[0]["cases_FY2022_counter"] = "many"
    rows[1]["code"] = "P-001"
    rows[2]["section_code"] = "20"
    rows[2]["national_31"] = "perhaps"
    result = _import(_xlsx(rows, [*HEADER, "memo"]))
    assert _where(result) == [
        (1, "memo"),
        (2, "kind"),
        (2, "cases_FY2022_counter"),
        (3, "code"),
        (4, "section_code"),
        (4, "national_31"),
    ]
    errors = {(e.row, e.column): e for e in result.errors}
    assert errors[(3, "code")].message == "Duplicate code (also on row 2)."
    assert errors[(2, "cases_FY2022_counter")].value == "many"
    assert "code, name, name_en, kind" in errors[(1, "memo")].message
    assert _counts()["procedures"] == 0


def test_a_bad_row_keeps_existing_procedures_as_they_were(org, tags):
    assert _import(_xlsx(_rows())).ok
    before = _counts()
    rows = _rows()
    rows[0]["name"] = "変更後の名前"
    rows[0]["cases_FY2022_counter"] = ""
    rows[2]["fee"] = -100
    result = _import(_xlsx(rows))
    assert _where(result) == [(4, "fee")]
    assert _counts() == before
    assert Procedure.objects.get(code="P-001").name == "住民票の写しの交付請求"


def test_a_changed_survey_updates_fields_tags_and_volumes(
    org, tags, django_capture_on_commit_callbacks
):
    assert _import(_xlsx(_rows())).ok
    rows = _rows()
    rows[0]["name"] = "住民票の写し等の交付請求"
    rows[0]["cases_FY2022_mail"] = ""  # removes the volume
    rows[0]["cases_FY2022_counter"] = 950
    rows[1]["life_events"] = "birth"
    rows[1]["cases_FY2022_mail"] = 7
    rows[2]["section_code"] = "351020"  # moves to another bureau
    with django_capture_on_commit_callbacks() as callbacks:
        result = _import(_xlsx(rows))
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 3, 0)
    assert len(callbacks) == 2
    first = Procedure.objects.get(code="P-001")
    assert first.search_text == search_text_for(
        name="住民票の写し等の交付請求", keywords="住民票 写し"
    )
    assert dict(first.volumes.values_list("channel", "cases")) == {
        "counter": 950,
        "online": 100,
    }
    second = Procedure.objects.get(code="P-002")
    assert sorted(t.code for t in second.tags.all()) == ["birth", "childcare"]
    assert second.volumes.get(channel="mail").cases == 7
    third = Procedure.objects.get(code="P_003")
    assert (third.org_unit, third.bureau) == (org["disability"], org["health"])
    event = AuditEvent.objects.filter(action=ACTION).latest("id")
    assert event.changes["codes"]["updated"] == ["P-001", "P-002", "P_003"]
    assert event.changes["volumes"] == {"created": 1, "updated": 1, "deleted": 1}


def test_volume_years_without_a_column_are_left_alone(org, tags):
    assert _import(_xlsx(_rows())).ok
    rows = _rows()
    for row in rows:
        row["cases_FY2023_online"] = 1
    result = _import(_xlsx(rows, [*survey.KEYS, "cases_FY2023_online"]))
    assert (result.created, result.updated, result.unchanged) == (0, 3, 0)
    assert ProcedureVolume.objects.filter(fiscal_year=2022).count() == 5
    assert ProcedureVolume.objects.filter(fiscal_year=2023).count() == 3


def test_reimport_of_the_same_file_changes_nothing(
    org, tags, django_capture_on_commit_callbacks
):
    data = _xlsx(_rows())
    assert _import(data).ok
    before = _counts()
    with django_capture_on_commit_callbacks() as callbacks:
        result = _import(data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert callbacks == []  # no KPI refresh, no audit event to seal
    assert _counts() == before


def test_japanese_headers_are_accepted(org, tags):
    labels = {column.label: column.key for column in survey.COLUMNS}
    header = [
        *labels,
        "件数_2022年度_窓口",
        "件数_２０２２年度_郵送",  # full-width digits, as typed in Excel
        "件数_2022年度_電子",
    ]
    keys = {
        **labels,
        "件数_2022年度_窓口": "cases_FY2022_counter",
        "件数_２０２２年度_郵送": "cases_FY2022_mail",
        "件数_2022年度_電子": "cases_FY2022_online",
    }
    assert "手続コード" in header and "手数料（円）" in header
    result = _import(_xlsx(_rows(), header, keys))
    assert result.ok, result.errors
    assert result.created == 3
    assert ProcedureVolume.objects.count() == 5
    rows = _rows()
    rows[0]["kind"] = "許可"
    result = _import(_xlsx(rows, header, keys))
    assert _where(result) == [(2, "種類")]  # the column as headed in the file


def test_half_width_parentheses_in_a_japanese_header_are_accepted(org, tags):
    header = ["手数料(円)" if c == "fee" else c for c in HEADER]
    result = _import(_xlsx(_rows(), header, {"手数料(円)": "fee"}))
    assert result.ok, result.errors
    assert Procedure.objects.get(code="P-001").fee == 300


def test_shift_jis_csv_imports(org, tags):
    data = _csv(_rows(), encoding="cp932")
    result = _import(data, "調査票.csv")
    assert result.ok, result.errors
    assert Procedure.objects.get(code="P_003").name == "犬の登録"
    assert result.created == 3


def test_blank_lines_keep_the_row_numbers_of_the_file(org, tags):
    text = _csv(_rows()).decode()
    lines = text.splitlines()
    lines.insert(2, "")  # a blank line 3
    data = "\n".join(lines).replace("P_003", "P 003").encode()
    result = _import(data, "survey.csv")
    assert _where(result) == [(5, "code")]


def _export(fmt: str = "xlsx") -> bytes:
    return survey.procedure_export(actor=SYSTEM, fmt=fmt)


def _content(data: bytes, filename: str):
    return [
        (s.name, s.header, [(r.number, r.cells) for r in s.rows])
        for s in read_sheets(io.BytesIO(data), filename)
    ]


@pytest.mark.parametrize(("fmt", "filename"), [("xlsx", "s.xlsx"), ("csv", "s.csv")])
def test_export_import_export_is_identical(org, tags, fmt, filename):
    assert _import(_xlsx(_rows())).ok
    first = _export(fmt)
    before = _counts()
    result = _import(first, filename)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert _counts() == before
    second = _export(fmt)
    assert _content(second, filename) == _content(first, filename)
    if fmt == "csv":
        assert second == first


def test_export_layout_and_values(org, tags):
    assert _import(_xlsx(_rows())).ok
    rows = _rows()
    rows[0]["cases_FY2021_online"] = 80
    header = [*HEADER, "cases_FY2021_online"]
    assert _import(_xlsx(rows, header)).ok
    sheets = {s.name: s for s in read_sheets(io.BytesIO(_export()), "s.xlsx")}
    assert list(sheets) == ["procedures", "README"]
    assert sheets["procedures"].header == [
        *survey.KEYS,
        "cases_FY2021_online",
        "cases_FY2022_counter",
        "cases_FY2022_mail",
        "cases_FY2022_online",
    ]
    first, second, third = (row.cells for row in sheets["procedures"].rows)
    assert (first["code"], second["code"], third["code"]) == ("P-001", "P-002", "P_003")
    assert (first["kind"], first["section_code"], first["fee"]) == (
        "request",
        "351030",
        "300",
    )
    assert (second["requires_presence"], second["national_31"]) == ("true", "false")
    assert (second["legal_basis_kind"], second["fee"]) == ("municipal", "")
    assert second["life_events"] == "birth,moving"
    assert second["categories"] == "childcare"
    assert (first["cases_FY2021_online"], second["cases_FY2021_online"]) == ("80", "")
    readme = sheets["README"]
    described = {row.cells["column"] for row in readme.rows}
    assert set(survey.KEYS) | {"cases_FY<year>_<channel>"} <= described
    assert any(row.cells.get("見出し / コード") == "birth" for row in readme.rows)
    csv_text = _export("csv").decode("utf-8-sig")
    assert csv_text.splitlines()[3].startswith("P_003,犬の登録,,notification,202020,")


def test_a_readme_sheet_and_a_city_sheet_name_are_accepted(org, tags):
    workbook = Workbook()
    readme = workbook.active
    readme.title = "README"
    readme.append(["anything"])
    sheet = workbook.create_sheet("調査票")
    sheet.append(HEADER)
    for row in _rows():
        sheet.append([row.get(column, "") for column in HEADER])
    out = io.BytesIO()
    workbook.save(out)
    result = _import(out.getvalue())
    assert result.ok, result.errors
    assert result.created == 3


def test_another_sheet_beside_the_survey_is_an_error(org, tags):
    workbook = Workbook()
    workbook.active.title = "procedures"
    workbook.active.append(HEADER)
    workbook.create_sheet("memo").append(["note"])
    out = io.BytesIO()
    workbook.save(out)
    result = _import(out.getvalue())
    assert [(e.row, e.sheet, e.value) for e in result.errors] == [(1, "memo", "memo")]


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"not a workbook", "s.xlsx"), (b"", "s.csv"), (b"x", "s.txt"), (b"", "s.zip")],
)
def test_unreadable_files_raise_a_format_error(db, data, filename):
    with pytest.raises(TabularFormatError):
        _import(data, filename)


def test_a_procedure_officer_imports_only_their_sections(
    org, tags, health_officer, make_user
):
    result = _import(_xlsx(_rows()), actor=health_officer)
    assert _where(result) == [(4, "section_code")]  # 202020 is in 総務局
    assert "not import procedures of this section" in result.errors[0].message
    assert _counts()["procedures"] == 0
    result = _import(_xlsx(_rows()[:2]), actor=health_officer)
    assert result.ok, result.errors
    assert result.created == 2
    assert _import(_xlsx(_rows())).ok  # the system adds 犬の登録 in 総務局
    moved = _rows()[:3]
    moved[2]["section_code"] = "351020"  # into the officer's scope, from outside
    result = _import(_xlsx(moved), actor=health_officer)
    assert _where(result) == [(4, "code")]
    assert Procedure.objects.get(code="P_003").org_unit == org["info"]


def test_a_city_wide_procedure_officer_imports_every_section(org, tags, officer):
    result = _import(_xlsx(_rows()), actor=officer)
    assert result.ok, result.errors
    assert result.created == 3


def test_the_reform_office_imports_everything_others_are_refused(
    org, tags, staff_user, citizen, make_user
):
    for actor in (staff_user, citizen):
        with pytest.raises(PermissionDenied):
            _import(_xlsx(_rows()), actor=actor)
    assert _counts()["procedures"] == 0
    office = make_user(Role.REFORM_OFFICE, username="office")
    result = _import(_xlsx(_rows()), actor=office)
    assert result.created == 3
    event = AuditEvent.objects.get(action=ACTION)
    assert (event.actor_id, event.target_repr) == (office.pk, "survey.xlsx")


def test_any_staff_member_exports_but_not_citizens(org, tags, staff_user, citizen):
    assert _import(_xlsx(_rows())).ok
    assert survey.procedure_export(actor=staff_user)[:2] == b"PK"
    with pytest.raises(PermissionDenied):
        survey.procedure_export(actor=citizen)


def test_commands_export_and_import(org, tags, tmp_path):
    source = tmp_path / "survey.xlsx"
    source.write_bytes(_xlsx(_rows()))
    out = io.StringIO()
    call_command("import_procedures", str(source), stdout=out)
    assert "3 created, 0 updated, 0 unchanged." in out.getvalue()
    for name in ("all.xlsx", "all.csv"):
        call_command("export_procedures", str(tmp_path / name), stdout=io.StringIO())
        out = io.StringIO()
        call_command("import_procedures", str(tmp_path / name), stdout=out)
        assert "0 created, 0 updated, 3 unchanged." in out.getvalue()
    with pytest.raises(CommandError, match=r"must end in \.xlsx or \.csv"):
        call_command("export_procedures", str(tmp_path / "all.zip"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_procedures", str(tmp_path / "missing.xlsx"))


def test_import_command_prints_every_error_and_fails(org, tags, tmp_path):
    rows = _rows()
    rows[0]["fee"] = "abc"
    rows[2]["kind"] = "許可"
    path = tmp_path / "bad.csv"
    path.write_bytes(_csv(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_procedures", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "2 fee: Enter a whole number of 0 or more. (abc)",
        "4 kind: Unknown value; use one of: application, notification, request, "
        "offer, report, other. (許可)",
    ]
    assert _counts()["procedures"] == 0
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["import_procedures", str(path)])
    assert exit_info.value.code == 1
    (tmp_path / "bad.txt").write_text("x")
    with pytest.raises(CommandError, match=r"Upload a \.csv or \.xlsx file\."):
        call_command("import_procedures", str(tmp_path / "bad.txt"))


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_import_and_export_queries_do_not_grow_with_the_file(org, tags):
    def many(count: int, offset: int = 0) -> list[dict[str, Any]]:
        rows = []
        for n in range(count):
            row = dict(_rows()[n % 3])
            row["code"] = f"Q-{n + offset:04d}"
            rows.append(row)
        return rows

    small = _queries(lambda: _import(_xlsx(many(3))))
    large = _queries(lambda: _import(_xlsx(many(30, offset=100))))
    assert large == small
    small_update = _queries(lambda: _import(_xlsx([{**r, "fee": 1} for r in many(3)])))
    large_update = _queries(
        lambda: _import(_xlsx([{**r, "fee": 1} for r in many(30, offset=100)]))
    )
    assert large_update == small_update
    assert _queries(_export) <= 8
