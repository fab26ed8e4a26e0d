"""Reading and reporting tabular imports (CSV or XLSX), shared by every importer.

Imports are all-or-nothing: an importer validates every row, collects every bad
cell as a :class:`RowError`, and writes only when there are none.

Whole-plan round trips need many sheets and tens of thousands of rows, so .xlsx
workbooks are read with python-calamine and written with XlsxWriter (openpyxl
builds one Python object per cell, which is ten times too slow for 500,000
cells); there are also helpers for a .zip or folder of CSV files.
"""

import csv
import io
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from python_calamine import CalamineError, SheetTypeEnum, load_workbook
from xlsxwriter import Workbook


class TabularFormatError(ValueError):
    """The file itself cannot be read (wrong type, encoding, no header)."""


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the user sees it (header = 1), the column.

    ``sheet`` names the sheet (or CSV file) in multi-sheet imports.
    """

    row: int
    column: str
    message: str
    value: str = ""
    sheet: str = ""


@dataclass
class ImportResult:
    """What an import did, or every reason why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Row:
    """One data row: its number in the file and its cells by header name."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if not (value.hour or value.minute or value.second or value.microsecond):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_rows(stream: IO[bytes], filename: str) -> tuple[list[str], list[Row]]:
    """Header and rows of a .csv (UTF-8 or Shift_JIS) or .xlsx file (first sheet)."""
    name = filename.lower()
    data = stream.read()
    table: list[list[str]]
    if name.endswith(".xlsx"):
        tables = _xlsx_tables(data, first_only=True)
        table = tables[0][1] if tables else []
    elif name.endswith(".csv"):
        table = list(csv.reader(io.StringIO(_decode_csv(data))))
    else:
        raise TabularFormatError(_("Upload a .csv or .xlsx file."))
    # Number rows as the user sees them in the file (blank lines count), then
    # leave the blank ones out.
    numbered = [
        (number, row)
        for number, row in enumerate(table, start=1)
        if any(cell.strip() for cell in row)
    ]
    if not numbered:
        raise TabularFormatError(_("The file is empty."))
    header = [cell.strip() for cell in numbered[0][1]]
    rows = [
        Row(number=number, cells=dict(zip(header, values, strict=False)))
        for number, values in numbered[1:]
    ]
    return header, rows


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularFormatError(_("The CSV file is neither UTF-8 nor Shift_JIS."))


# --- Several sheets: an .xlsx workbook, a .zip of CSV files, a folder of CSVs ---


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook (or one CSV file): its header and its data rows.

    Row numbers are those the user sees in the file; blank rows are skipped but
    keep their place in the count. A sheet without any content has no header.
    """

    name: str
    header: list[str]
    rows: list[Row]


class Readable(Protocol):
    """An open binary file: an upload, ``io.BytesIO``, ``open(..., "rb")``."""

    def read(self) -> Any: ...


# A .zip whose files unpack to more than this is refused (a "zip bomb").
MAX_UNPACKED_BYTES = 1 << 30


def read_sheets(
    source: Readable | str | os.PathLike[str], filename: str = ""
) -> list[Sheet]:
    """Every sheet of an .xlsx workbook, of a .zip of CSV files, or of a folder.

    ``source`` is an open file (then ``filename`` tells the type by its
    extension) or a path; a path to a folder reads every ``*.csv`` file in it. A
    CSV file's sheet name is its name without ``.csv``; CSV files are UTF-8 (with
    or without BOM) or Shift_JIS. Raises :class:`TabularFormatError` when the
    file cannot be read.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            return [
                _csv_sheet(file.stem, file.read_bytes())
                for file in sorted(path.iterdir())
                if file.is_file() and file.suffix.lower() == ".csv"
            ]
        filename = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TabularFormatError(_("The file cannot be opened.")) from exc
    else:
        data = source.read()
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_sheets(data)
    if name.endswith(".zip"):
        return _zip_sheets(data)
    if name.endswith(".csv"):
        return [_csv_sheet(PurePosixPath(filename.replace("\\", "/")).stem, data)]
    raise TabularFormatError(_("Upload an .xlsx workbook or a .zip of CSV files."))


def _sheet(name: str, numbered: Iterable[tuple[int, list[str]]]) -> Sheet:
    header: list[str] | None = None
    rows: list[Row] = []
    for number, values in numbered:
        if not "".join(values).strip():
            continue
        if header is None:
            header = [value.strip() for value in values]
            continue
        rows.append(Row(number, dict(zip(header, values, strict=False))))
    return Sheet(name=name, header=header or [], rows=rows)


def _csv_sheet(name: str, data: bytes) -> Sheet:
    try:
        table = list(csv.reader(io.StringIO(_decode_csv(data))))
    except csv.Error as exc:  # a NUL byte, a cell beyond the size limit
        raise TabularFormatError(
            _("The CSV file %(name)s cannot be read.") % {"name": name}
        ) from exc
    return _sheet(name, enumerate(table, 1))


def _zip_sheets(data: bytes) -> list[Sheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise TabularFormatError(_("The file is not a readable .zip archive.")) from exc
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith(".")
            and info.filename.lower().endswith(".csv")
        ]
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            raise TabularFormatError(_("The archive is too large when unpacked."))
        sheets: list[Sheet] = []
        seen: set[str] = set()
        for info in members:
            name = PurePosixPath(info.filename).stem
            if name in seen:
                raise TabularFormatError(
                    _("The archive holds more than one %(name)s.csv.") % {"name": name}
                )
            seen.add(name)
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                raise TabularFormatError(
                    _("The file is not a readable .zip archive.")
                ) from exc
            sheets.append(_csv_sheet(name, content))
    return sheets


# --- .xlsx reading (python-calamine) -----------------------------------------


def _float_text(value: float) -> str:
    """A number cell as text, as Excel shows it (15 significant digits at most).

    Whole numbers have no ``.0``; 0.1+0.2 is shown (and meant) as 0.3.
    """
    if value.is_integer() and abs(value) <= 2**53:
        return str(int(value))
    text = repr(value)
    if "e" not in text and len(text.lstrip("-").replace(".", "").lstrip("0")) <= 15:
        return text
    return format(Decimal(f"{value:.15g}").normalize(), "f")


def _value_text(value: Any) -> str:
    """The text of a value python-calamine read: a number, a date, a boolean."""
    if isinstance(value, float):
        return _float_text(value)
    return _cell(value)


def _text_row(values: list[Any]) -> list[str]:
    """One row as text, without the empty cells at its end."""
    row = [value if value.__class__ is str else _value_text(value) for value in values]
    while row and not row[-1]:
        row.pop()
    return row


def _xlsx_tables(
    data: bytes, *, first_only: bool = False
) -> list[tuple[str, list[list[str]]]]:
    """Every worksheet's name and rows as text, from row 1 and column A on."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise TabularFormatError(_("The archive is too large when unpacked."))
        tables = []
        with load_workbook(io.BytesIO(data)) as workbook:
            for sheet in workbook.sheets_metadata:
                if sheet.typ != SheetTypeEnum.WorkSheet:
                    continue  # a chart sheet: no cells
                cells = workbook.get_sheet_by_name(sheet.name).to_python(
                    skip_empty_area=False
                )
                tables.append((sheet.name, [_text_row(row) for row in cells]))
                if first_only:
                    break
    except (CalamineError, zipfile.BadZipFile, OSError) as exc:
        raise TabularFormatError(
            _("The file is not a readable .xlsx workbook.")
        ) from exc
    return tables


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    return [_sheet(name, enumerate(rows, 1)) for name, rows in _xlsx_tables(data)]


# --- Writing ----------------------------------------------------------------

CellValue = str | int | float | Decimal | bool | date | None


@dataclass
class SheetContent:
    """A sheet to write: name, header, rows, and optional drop-down choices.

    ``choices`` maps a column of ``header`` to the values its drop-down offers
    (other values may still be typed); ``widths`` sets column widths in
    characters.
    """

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[CellValue]]
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    widths: Mapping[str, int] = field(default_factory=dict)


def format_number(value: int | float | Decimal) -> str:
    """A number as plain text without useless zeros: ``2248``, ``5.4``, ``-0.25``."""
    if isinstance(value, Decimal):
        if value == 0:
            return "0"
        return format(value.normalize(), "f")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def cell_text(value: CellValue) -> str:
    """How a value is written as text (CSV): numbers plain, dates ISO, booleans
    ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_csv_zip(
    sheets: Iterable[SheetContent], *, extra_files: Mapping[str, str] | None = None
) -> bytes:
    """A .zip with one UTF-8 (BOM, for Excel) ``<sheet>.csv`` per sheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (extra_files or {}).items():
            archive.writestr(name, text.encode())
        for sheet in sheets:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(sheet.header)
            writer.writerows([cell_text(v) for v in row] for row in sheet.rows)
            archive.writestr(f"{sheet.name}.csv", ("\ufeff" + out.getvalue()).encode())
    return buffer.getvalue()


def _significant_digits(text: str) -> int:
    return len(text.lstrip("-").replace(".", "").strip("0"))


def write_xlsx(sheets: Sequence[SheetContent]) -> bytes:
    """An .xlsx workbook with one sheet per item, header row bold and frozen.

    Text is always written as text (``=1+1`` and ``0123`` stay as typed), numbers
    as numbers (as text when they have more than the 15 significant digits Excel
    keeps), dates as ISO text, booleans as ``true``/``false``.
    """
    buffer = io.BytesIO()
    workbook = Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    plain = workbook.add_format()
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name[:31])
        header = list(sheet.header)
        worksheet.freeze_panes(1, 0)
        for column, name in enumerate(header):
            worksheet.set_column(column, column, sheet.widths.get(name, 14))
            worksheet.write_string(0, column, name, bold)
        write_string = worksheet.write_string
        write_number = worksheet.write_number
        for number, row in enumerate(sheet.rows, start=1):
            for column, value in enumerate(row):
                if value.__class__ is not str:
                    if value is None:
                        continue
                    if isinstance(value, int | float | Decimal) and not isinstance(
                        value, bool
                    ):
                        text = format_number(value)
                        if _significant_digits(text) <= 15:
                            write_number(number, column, value)
                            continue
                        value = text  # more digits than Excel keeps: as text
                    else:
                        value = cell_text(value)  # dates, booleans
                if not value:
                    continue
                if value.startswith("<r>") and value.endswith("</r>"):
                    # XlsxWriter would take this for its own rich-text markup.
                    worksheet.write_rich_string(number, column, "<r>", plain, value[3:])
                else:
                    write_string(number, column, value)
        for name, values in sheet.choices.items():
            if name in header:
                column = header.index(name)
                worksheet.data_validation(
                    1,
                    column,
                    1_048_575,
                    column,
                    {
                        "validate": "list",
                        "source": list(values),
                        "ignore_blank": True,
                        "show_error": False,
                    },
                )
    workbook.close()
    return buffer.getvalue()
