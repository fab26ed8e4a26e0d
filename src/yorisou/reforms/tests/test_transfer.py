"""The Excel round trip of a whole plan: import checks, writes, export, commands."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
from openpyxl import Workbook, load_workbook

from yorisou.cli import main as cli_main
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.core.tabular import TabularFormatError, read_sheets
from yorisou.reforms import models, transfer
from yorisou.reforms.synthetic import synthetic_plan_create
from yorisou.reforms.workbook import SHEETS

pytestmark = pytest.mark.django_db

ALL_MODELS = [
    models.Plan,
    models.Stage,
    models.Pillar,
    models.Initiative,
    models.ActionItem,
    models.ActionItem.indicators.through,
    models.ScheduleEntry,
    models.Milestone,
    models.ReportingPeriod,
    models.StatusReport,
    models.StatusReportEvent,
    models.Indicator,
    models.IndicatorValue,
    models.Series,
    models.SeriesPoint,
]


def _rows(sheet, *rows):
    return [dict(zip(SHEETS[sheet], row, strict=True)) for row in rows]


def _book():
    """A small valid plan: one row or two per sheet (16 rows in all)."""
    return {
        "plan": _rows(
            "plan",
            ["small", "小さな計画", "Small plan", "説明", 2024, 2026]
            + [""] * 8
            + ["202010", "true"],
        ),
        "stages": _rows(
            "stages", ["S1", "第1ステージ", "Stage 1", "目標", 2024, 2026, 1]
        ),
        "pillars": _rows("pillars", ["P1", "S1", "推進項目1", "", "", 1, 1]),
        "initiatives": _rows(
            "initiatives", ["I1", "P1", "取組1", "", "", "202020", 1, 1]
        ),
        "items": _rows(
            "items",
            ["A1", "I1", "取組項目1", "Item 1", "", "351020", 1.5, 1, "K1"],
            ["A2", "I1", "取組項目2", "", "", "202010", 1, 2, ""],
        ),
        "schedule": _rows("schedule", ["A1", 2024, 0, "準備"]),
        "milestones": _rows("milestones", ["A1", "開始", date(2024, 6, 30), ""]),
        "periods": _rows("periods", ["FY2024-H1", "", "false"]),
        "status_reports": _rows(
            "status_reports",
            ["A1", "FY2024-H1", "approved", "on_plan", 50, "", "順調", "", "", "", ""],
            ["A2", "FY2024-H1", "draft", "changed", 10, "調整中", "", "", "", "", ""],
        ),
        "indicators": _rows(
            "indicators",
            # code group name_ja name_en unit direction target_kind baseline_year
            # baseline_value decimals source org_unit_code notes sort_order
            [
                "K1",
                "市民",
                "満足度",
                "",
                "%",
                "higher",
                "at_least",
                2023,
                48.9,
                1,
                "",
                "202020",
                "",
                1,
            ],
        ),
        "indicator_values": _rows(
            "indicator_values",
            ["K1", 2024, "actual", 50.5, ""],
            ["K1", 2026, "target", 65, ""],
        ),
        "series": _rows(
            "series",
            ["small-rate", "申請率", "", "%", "monthly", "rate", 1, "", "", "", 1],
        ),
        "series_points": _rows("series_points", ["small-rate", "2024-04-30", 12.5, ""]),
    }


def _xlsx(book, headers=None, *, write_only=False):
    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    for name, rows in book.items():
        sheet = workbook.create_sheet(name)
        header = (headers or {}).get(name, SHEETS.get(name, []))
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column, "") for column in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_bytes(header, rows, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([row.get(c, "") for c in header] for row in rows)
    return out.getvalue().encode(encoding)


def _import(book, actor=SYSTEM, headers=None, **kwargs):
    workbook = transfer.read_plan_workbook(io.BytesIO(_xlsx(book, headers)), "p.xlsx")
    return transfer.plan_import(actor=actor, workbook=workbook, **kwargs)


def _counts():
    counts = {m.__name__: m.objects.count() for m in ALL_MODELS}
    counts["audit"] = AuditEvent.objects.filter(action="reforms.plan.import").count()
    return counts


def _content(data, filename):
    return [
        (s.name, s.header, [(r.number, r.cells) for r in s.rows])
        for s in read_sheets(io.BytesIO(data), filename)
    ]


def test_import_creates_a_small_plan(org):
    result = _import(_book())
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (16, 0, 0)
    assert result.sheets["status_reports"].created == 2
    plan = models.Plan.objects.get(code="small")
    assert plan.is_public and plan.org_unit == org["reform"]
    assert plan.stage_label == "ステージ"  # blank cells take the model default
    first, second = models.ActionItem.objects.order_by("code")
    assert (first.bureau, second.bureau) == (org["health"], org["general"])
    assert first.weight == Decimal("1.5")
    assert [i.code for i in first.indicators.all()] == ["K1"]
    period = models.ReportingPeriod.objects.get()
    assert (period.kind, period.fiscal_year, period.number) == ("half", 2024, 1)
    assert (period.starts_on, period.ends_on) == (date(2024, 4, 1), date(2024, 9, 30))
    assert period.deadline == date(2024, 10, 30)
    assert models.Milestone.objects.get().due_on == date(2024, 6, 30)
    approved = models.StatusReport.objects.get(item=first)
    assert (approved.approved_status, approved.approved_progress) == ("on_plan", 50)
    assert approved.approved_at is not None
    draft = models.StatusReport.objects.get(item=second)
    assert (draft.approved_status, draft.approved_at) == ("", None)
    events = models.StatusReportEvent.objects.order_by("report__item__code")
    assert [(e.seq, e.action, e.from_state, e.to_state) for e in events] == [
        (1, "import", "", "approved"),
        (1, "import", "", "draft"),
    ]
    assert models.IndicatorValue.objects.get(kind="actual").value == Decimal("50.5")
    assert models.Series.objects.get().plan == plan
    assert models.SeriesPoint.objects.get().origin == "import"
    event = AuditEvent.objects.get(action="reforms.plan.import")
    assert event.changes["created"]["items"] == 2
    assert event.changes["codes"]["items"] == ["A1", "A2"]


def test_new_rows_are_marked_as_sample_when_asked(org):
    assert _import(_book(), mark_sample=True).ok
    assert models.Plan.objects.get().is_sample
    assert models.ActionItem.objects.filter(is_sample=True).count() == 2


def test_choices_accept_japanese_and_english_labels(org):
    book = _book()
    book["status_reports"][0].update(state="承認済み", status="計画通り")
    book["status_reports"][1].update(state="Draft", status="Partly changed or delayed")
    book["indicators"][0].update(direction="Higher is better", target_kind="以上")
    book["indicator_values"][0]["kind"] = "実績"
    book["series"][0]["frequency"] = "毎月"
    result = _import(book)
    assert result.ok, result.errors
    assert sorted(models.StatusReport.objects.values_list("state", "status")) == [
        ("approved", "on_plan"),
        ("draft", "changed"),
    ]
    indicator = models.Indicator.objects.get()
    assert (indicator.direction, indicator.target_kind) == ("higher", "at_least")


def _set(sheet, row, **cells):
    def mutate(book, headers):
        book[sheet][row].update(cells)

    return mutate


def _add(sheet, *values):
    def mutate(book, headers):
        book[sheet].extend(_rows(sheet, *values))

    return mutate


def _drop_column(sheet, column):
    def mutate(book, headers):
        headers[sheet] = [c for c in SHEETS[sheet] if c != column]

    return mutate


def _unknown_sheet(book, headers):
    book["extras"] = [{"x": "1"}]
    headers["extras"] = ["x"]


def _no_plan_sheet(book, headers):
    del book["plan"]


BAD = [
    ("missing column", _drop_column("stages", "goal"), ("stages", 1, "goal")),
    ("unknown sheet", _unknown_sheet, ("extras", 1, "")),
    ("no plan sheet", _no_plan_sheet, ("plan", 1, "")),
    ("missing value", _set("items", 0, name_ja=""), ("items", 2, "name_ja")),
    (
        "duplicate code",
        _add("stages", ["S1", "別", "", "", 2024, 2026, 2]),
        ("stages", 3, "code"),
    ),
    (
        "duplicate natural key",
        _add("schedule", ["A1", 2024, 0, "重複"]),
        ("schedule", 3, "quarter"),
    ),
    ("missing parent", _set("pillars", 0, stage_code=""), ("pillars", 2, "stage_code")),
    (
        "unknown parent",
        _set("pillars", 0, stage_code="S9"),
        ("pillars", 2, "stage_code"),
    ),
    (
        "unknown item",
        _set("status_reports", 1, item_code="A9"),
        ("status_reports", 3, "item_code"),
    ),
    (
        "unknown period",
        _set("status_reports", 0, period_code="FY2025-H1"),
        ("status_reports", 2, "period_code"),
    ),
    (
        "unknown org unit",
        _set("items", 1, org_unit_code="999999"),
        ("items", 3, "org_unit_code"),
    ),
    (
        "invalid status",
        _set("status_reports", 0, status="maybe"),
        ("status_reports", 2, "status"),
    ),
    (
        "invalid state",
        _set("status_reports", 0, state="finished"),
        ("status_reports", 2, "state"),
    ),
    (
        "invalid direction",
        _set("indicators", 0, direction="up"),
        ("indicators", 2, "direction"),
    ),
    (
        "invalid target kind",
        _set("indicators", 0, target_kind="exactly"),
        ("indicators", 2, "target_kind"),
    ),
    (
        "invalid value kind",
        _set("indicator_values", 1, kind="plan"),
        ("indicator_values", 3, "kind"),
    ),
    (
        "invalid frequency",
        _set("series", 0, frequency="daily"),
        ("series", 2, "frequency"),
    ),
    (
        "reason missing",
        _set("status_reports", 1, reason=""),
        ("status_reports", 3, "reason"),
    ),
    (
        "approved reason missing",
        _set("status_reports", 0, approved_status="stopped", approved_reason=""),
        ("status_reports", 2, "approved_reason"),
    ),
    (
        "progress above 100",
        _set("status_reports", 0, progress=101),
        ("status_reports", 2, "progress"),
    ),
    (
        "progress not whole",
        _set("status_reports", 0, progress="50.5"),
        ("status_reports", 2, "progress"),
    ),
    (
        "non-numeric value",
        _set("indicator_values", 0, value="abc"),
        ("indicator_values", 2, "value"),
    ),
    (
        "too many decimal places",
        _set("indicator_values", 0, value="1.23456"),
        ("indicator_values", 2, "value"),
    ),
    (
        "target before baseline",
        _add("indicator_values", ["K1", 2022, "target", 40, ""]),
        ("indicator_values", 4, "fiscal_year"),
    ),
    (
        "fiscal year not 4 digits",
        _set("stages", 0, start_fy=24),
        ("stages", 2, "start_fy"),
    ),
    ("end before start", _set("stages", 0, end_fy=2023), ("stages", 2, "end_fy")),
    (
        "bad date",
        _set("milestones", 0, due_on="2024-13-01"),
        ("milestones", 2, "due_on"),
    ),
    (
        "date not ISO",
        _set("series_points", 0, on="2024/4/30"),
        ("series_points", 2, "on"),
    ),
    (
        "bad period code",
        _add("periods", ["FY24-H1", "", "false"]),
        ("periods", 3, "code"),
    ),
    (
        "bad period code in reports",
        _set("status_reports", 0, period_code="2024H1"),
        ("status_reports", 2, "period_code"),
    ),
    ("quarter above 4", _set("schedule", 0, quarter=5), ("schedule", 2, "quarter")),
    ("weight negative", _set("pillars", 0, weight=-1), ("pillars", 2, "weight")),
    (
        "approved values without approved status",
        _set("status_reports", 0, approved_progress=40),
        ("status_reports", 2, "approved_status"),
    ),
    (
        "unknown indicator code",
        _set("items", 0, indicator_codes="K1、K9"),
        ("items", 2, "indicator_codes"),
    ),
    (
        "plan with two rows",
        _add("plan", ["other", "別", "", "", 2024, 2026] + [""] * 8 + ["", "false"]),
        ("plan", 3, "code"),
    ),
    (
        "plan with no row",
        lambda book, headers: book["plan"].clear(),
        ("plan", 2, "code"),
    ),
    (
        "code too long",
        _add("stages", ["S" * 31, "長い", "", "", 2024, 2026, 2]),
        ("stages", 3, "code"),
    ),
    ("boolean", _set("periods", 0, is_closed="maybe"), ("periods", 2, "is_closed")),
]


@pytest.mark.parametrize(
    ("mutate", "where"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_a_bad_cell_is_reported_and_nothing_is_written(org, mutate, where):
    book = _book()
    headers: dict = {}
    mutate(book, headers)
    before = _counts()
    result = _import(book, headers=headers)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [where]
    assert result.errors[0].message
    assert _counts() == before


def test_every_error_of_every_sheet_is_reported_at_once(org):
    book = _book()
    book["stages"][0]["start_fy"] = "x"
    book["items"][0]["org_unit_code"] = "nope"
    book["status_reports"][1].update(status="", progress=-1)
    result = _import(book)
    assert [(e.sheet, e.row, e.column, e.value) for e in result.errors] == [
        ("stages", 2, "start_fy", "x"),
        ("items", 2, "org_unit_code", "nope"),
        ("status_reports", 3, "status", ""),
        ("status_reports", 3, "progress", "-1"),
    ]
    assert _counts()["Plan"] == 0


def test_a_bad_row_keeps_an_existing_plan_as_it_was(org):
    assert _import(_book()).ok
    book = _book()
    book["items"][0]["name_ja"] = "新しい名前"  # a good change ...
    book["status_reports"][0]["progress"] = 60
    book["indicator_values"][0]["value"] = "n/a"  # ... and one bad cell
    before = _counts()
    result = _import(book)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("indicator_values", 2, "value")
    ]
    assert _counts() == before
    assert models.ActionItem.objects.get(code="A1").name == "取組項目1"
    assert models.StatusReport.objects.get(item__code="A1").progress == 50


def test_parents_may_already_be_in_the_plan(org):
    assert _import(_book()).ok
    book = {
        "plan": _book()["plan"],
        "items": _rows(
            "items", ["A3", "I1", "取組項目3", "", "", "351030", 1, 3, "K1"]
        ),
        "status_reports": _rows(
            "status_reports",
            ["A3", "FY2024-H1", "submitted", "done", 100] + [""] * 6,
        ),
    }
    result = _import(book)
    assert result.ok, result.errors
    assert result.sheets["items"].created == 1
    assert models.ActionItem.objects.get(code="A3").bureau == org["health"]


def test_a_file_of_another_plan_is_refused(org):
    result = _import(_book(), expected_plan_code="other")
    assert [(e.sheet, e.row, e.column, e.value) for e in result.errors] == [
        ("plan", 2, "code", "small")
    ]


def test_a_series_of_another_plan_is_refused(org):
    other = models.Plan.objects.create(
        code="other", name="別", start_fy=2024, end_fy=2024
    )
    models.Series.objects.create(code="small-rate", plan=other, name="x", unit="%")
    result = _import(_book())
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("series", 2, "code")
    ]


def test_reimport_changes_nothing_and_appends_no_history(org):
    book = _book()
    assert _import(book).ok
    approved_at = models.StatusReport.objects.get(item__code="A1").approved_at
    result = _import(book)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 16)
    assert models.StatusReportEvent.objects.count() == 2
    # Nothing changed, so nothing is audited either.
    assert AuditEvent.objects.filter(action="reforms.plan.import").count() == 1
    assert models.StatusReport.objects.get(item__code="A1").approved_at == approved_at


def test_a_changed_report_gets_a_new_history_event(org):
    book = _book()
    assert _import(book).ok
    book["status_reports"][0].update(status="changed", progress=40, reason="遅れ")
    result = _import(book)
    assert result.sheets["status_reports"].updated == 1
    report = models.StatusReport.objects.get(item__code="A1")
    # Still approved, and the approved values follow the file.
    assert (report.status, report.approved_status, report.approved_progress) == (
        "changed",
        "changed",
        40,
    )
    assert report.version == 2
    events = list(report.events.order_by("seq"))
    assert [(e.seq, e.from_state, e.progress, e.reason) for e in events] == [
        (1, "", 50, ""),
        (2, "approved", 40, "遅れ"),
    ]


def test_items_update_and_indicator_links_follow_the_file(org):
    book = _book()
    book["indicators"].extend(
        _rows(
            "indicators",
            [
                "K2",
                "",
                "件数",
                "",
                "件",
                "lower",
                "at_most",
                2023,
                10,
                0,
                "",
                "",
                "",
                2,
            ],
        )
    )
    assert _import(book).ok
    book["items"][0].update(indicator_codes="K2", org_unit_code="202020", weight=2)
    result = _import(book)
    assert result.sheets["items"].updated == 1
    item = models.ActionItem.objects.get(code="A1")
    assert [i.code for i in item.indicators.all()] == ["K2"]
    assert (item.bureau, item.weight) == (org["general"], Decimal(2))


def _export(plan, fmt="xlsx"):
    return transfer.plan_export(actor=SYSTEM, plan=plan, fmt=fmt)


@pytest.mark.parametrize(("fmt", "filename"), [("xlsx", "p.xlsx"), ("zip", "p.zip")])
def test_export_import_export_is_identical(org, fmt, filename):
    assert _import(_book()).ok
    plan = models.Plan.objects.get()
    first = _export(plan, fmt)
    result = transfer.plan_import(
        actor=SYSTEM,
        workbook=transfer.read_plan_workbook(io.BytesIO(first), filename),
    )
    assert (result.created, result.updated, result.unchanged) == (0, 0, 16)
    assert _content(_export(plan, fmt), filename) == _content(first, filename)
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(first)) as a:
            names = sorted(a.namelist())
            with zipfile.ZipFile(io.BytesIO(_export(plan, fmt))) as b:
                assert all(a.read(n) == b.read(n) for n in names)


def test_export_layout_and_values(org):
    assert _import(_book()).ok
    data = _export(models.Plan.objects.get())
    sheets = {s.name: s for s in read_sheets(io.BytesIO(data), "p.xlsx")}
    assert list(sheets) == ["README", *SHEETS]
    for name, columns in SHEETS.items():
        assert sheets[name].header == columns
    item = sheets["items"].rows[0].cells
    assert (item["weight"], item["indicator_codes"]) == ("1.5", "K1")
    assert sheets["indicator_values"].rows[1].cells["value"] == "65"
    assert sheets["plan"].rows[0].cells["is_public"] == "true"
    assert sheets["milestones"].rows[0].cells["due_on"] == "2024-06-30"
    workbook = load_workbook(io.BytesIO(data))  # a workbook Excel-like tools open
    reports = workbook["status_reports"]
    assert reports["E2"].value == 50  # numbers are numbers
    assert any(
        '"on_plan,changed' in dv.formula1
        for dv in reports.data_validations.dataValidation
    )
    with zipfile.ZipFile(io.BytesIO(_export(models.Plan.objects.get(), "zip"))) as z:
        csv_text = z.read("indicators.csv").decode("utf-8-sig")
    assert "K1,市民,満足度,,%,higher,at_least,2023,48.9,1,,202020,,1" in csv_text


def test_csv_folder_imports(org, tmp_path):
    for name, rows in _book().items():
        header = SHEETS[name]
        rows = [
            {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}
            for row in rows
        ]
        (tmp_path / f"{name}.csv").write_bytes(_csv_bytes(header, rows))
    workbook = transfer.read_plan_workbook(tmp_path, str(tmp_path))
    result = transfer.plan_import(actor=SYSTEM, workbook=workbook)
    assert result.ok, result.errors
    assert result.created == 16


def test_shift_jis_csv_zip_imports(org):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, rows in _book().items():
            rows = [
                {k: v.isoformat() if isinstance(v, date) else v for k, v in r.items()}
                for r in rows
            ]
            archive.writestr(
                f"plan/{name}.csv", _csv_bytes(SHEETS[name], rows, "cp932")
            )
    workbook = transfer.read_plan_workbook(io.BytesIO(out.getvalue()), "plan.zip")
    result = transfer.plan_import(actor=SYSTEM, workbook=workbook)
    assert result.ok, result.errors
    assert models.ActionItem.objects.get(code="A1").name == "取組項目1"


def test_inline_string_workbooks_are_read_too(org):
    data = _xlsx(_book(), write_only=True)  # openpyxl's write-only mode: inlineStr
    result = transfer.plan_import(
        actor=SYSTEM, workbook=transfer.read_plan_workbook(io.BytesIO(data), "p.xlsx")
    )
    assert result.ok, result.errors
    assert result.created == 16


@pytest.mark.parametrize(
    ("data", "filename"),
    [(b"not a workbook", "p.xlsx"), (b"not a zip", "p.zip"), (b"x", "p.txt")],
)
def test_unreadable_files_raise_a_format_error(data, filename):
    with pytest.raises(TabularFormatError):
        transfer.read_plan_workbook(io.BytesIO(data), filename)


def test_only_the_reform_office_and_admins_import(org, staff_user, make_user):
    with pytest.raises(PermissionDenied):
        _import(_book(), actor=staff_user)
    assert _counts()["Plan"] == 0
    office = make_user(Role.REFORM_OFFICE, username="office")
    assert _import(_book(), actor=office).ok


def test_any_staff_member_exports_but_not_citizens(org, staff_user, citizen):
    assert _import(_book()).ok
    plan = models.Plan.objects.get()
    assert transfer.plan_export(actor=staff_user, plan=plan)[:2] == b"PK"
    with pytest.raises(PermissionDenied):
        transfer.plan_export(actor=citizen, plan=plan)


def test_commands_export_and_import(org, tmp_path):
    assert _import(_book()).ok
    path = tmp_path / "small.xlsx"
    out = io.StringIO()
    call_command("export_plan", str(path), stdout=out)
    assert "Exported plan small" in out.getvalue()
    out = io.StringIO()
    call_command("import_plan", str(path), stdout=out)
    assert "Imported plan small: 0 created, 0 updated, 16 unchanged." in out.getvalue()
    with pytest.raises(CommandError, match=r"must end in \.xlsx or \.zip"):
        call_command("export_plan", str(tmp_path / "small.txt"))


def test_import_command_prints_every_error_and_fails(org, tmp_path):
    book = _book()
    book["status_reports"][0]["status"] = "maybe"
    book["stages"][0]["end_fy"] = 2000
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_xlsx(book))
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_plan", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("stages 2 end_fy: ")
    assert lines[0].endswith("(2000)")
    assert lines[1].startswith("status_reports 2 status: ")
    assert _counts()["Plan"] == 0
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["import_plan", str(path)])
    assert exit_info.value.code == 1


def test_export_command_needs_a_plan_code_when_there_are_several(org, tmp_path):
    assert _import(_book()).ok
    models.Plan.objects.create(code="other", name="別", start_fy=2024, end_fy=2024)
    with pytest.raises(CommandError, match="give --plan CODE; plans: other, small"):
        call_command("export_plan", str(tmp_path / "p.zip"))
    call_command("export_plan", str(tmp_path / "p.zip"), "--plan", "small")
    assert zipfile.is_zipfile(tmp_path / "p.zip")


def test_synthetic_plan_round_trips(org):
    plan = synthetic_plan_create(code="syn", items=50, indicators=5, years=3, periods=2)
    assert models.ActionItem.objects.filter(plan=plan).count() == 50
    assert models.Initiative.objects.filter(plan=plan).count() == 25
    assert models.StatusReport.objects.filter(period__plan=plan).count() == 100
    assert models.IndicatorValue.objects.filter(indicator__plan=plan).count() == 30
    data = _export(plan)
    result = transfer.plan_import(
        actor=SYSTEM, workbook=transfer.read_plan_workbook(io.BytesIO(data), "p.xlsx")
    )
    assert result.ok, result.errors[:3]
    assert result.created == result.updated == 0
    assert _content(_export(plan), "p.xlsx") == _content(data, "p.xlsx")


def _queries(action):
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_export_and_import_queries_do_not_grow_with_the_plan(org):
    counts = []
    for size in (10, 50):
        plan = synthetic_plan_create(
            code=f"q{size}", items=size, indicators=size // 5, years=2, periods=2
        )
        data = _export(plan)
        workbook = transfer.read_plan_workbook(io.BytesIO(data), "p.xlsx")
        counts.append(
            (
                _queries(lambda plan=plan: _export(plan)),
                _queries(
                    lambda workbook=workbook: transfer.plan_import(
                        actor=SYSTEM, workbook=workbook
                    )
                ),
            )
        )
    assert counts[0] == counts[1]
    assert counts[0][0] <= 20 and counts[0][1] <= 30
