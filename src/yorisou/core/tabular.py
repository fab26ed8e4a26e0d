"""Reading and reporting tabular imports (CSV or XLSX), shared by every importer.

Imports are all-or-nothing: an importer validates every row, collects every bad
cell as a :class:`RowError`, and writes only when there are none.

Whole-plan round trips need many sheets and tens of thousands of rows, so this
module also holds a small, fast reader and writer of .xlsx workbooks (a workbook
is a zip of XML parts; openpyxl builds one Python object per cell, which is ten
times too slow for 500,000 cells), and helpers for a .zip or folder of CSV files.
"""

import csv
import html
import io
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _


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
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad file
            raise TabularFormatError(
                _("The file is not a readable .xlsx workbook.")
            ) from exc
        sheet = workbook.worksheets[0]
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif name.endswith(".csv"):
        table = list(csv.reader(io.StringIO(_decode_csv(data))))
    else:
        raise TabularFormatError(_("Upload a .csv or .xlsx file."))
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise TabularFormatError(_("The file is empty."))
    header = [cell.strip() for cell in table[0]]
    rows = [
        Row(number=index, cells=dict(zip(header, values, strict=False)))
        for index, values in enumerate(table[1:], start=2)
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


# --- .xlsx reading -----------------------------------------------------------

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_REL_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Built-in number formats that show a date (27–36 and 50–58 are the East Asian
# ones Japanese Excel uses, e.g. 和暦).
_DATE_FORMAT_IDS = frozenset([*range(14, 18), 22, *range(27, 37), *range(50, 59)])


def _ns(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _ESCAPED_CHAR.sub(lambda m: chr(int(m[1], 16)), text)


def _rich_text(element: ET.Element, ns: str) -> str:
    """Text of a shared or inline string, without phonetic (furigana) runs."""
    parts: list[str] = []
    for child in element:
        if child.tag == ns + "t":
            parts.append(child.text or "")
        elif child.tag == ns + "r":
            parts.extend(t.text or "" for t in child if t.tag == ns + "t")
    return _unescape("".join(parts))


def _number(text: str) -> str:
    """A number cell as text: as written when exact, else rounded as Excel shows."""
    text = text.strip()
    if not text or text.lstrip("-").isdigit():
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    digits = len(text.lstrip("-").replace(".", "").lstrip("0"))
    if "e" not in text.lower() and digits <= 15:
        return text.rstrip("0").rstrip(".") if "." in text else text
    # Excel keeps 15 significant digits; 0.1+0.2 is shown (and meant) as 0.3.
    return format(Decimal(f"{number:.15g}").normalize(), "f")


class _Package:
    """The parts of an .xlsx package that locate sheets, strings and styles."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        names = set(archive.namelist())
        self.names = names
        workbook_path = "xl/workbook.xml"
        for rel in self._rels("_rels/.rels"):
            if rel[1].endswith("/officeDocument"):
                workbook_path = rel[2]
        self.workbook_path = workbook_path
        base = str(PurePosixPath(workbook_path).parent)
        self.targets: dict[str, str] = {}
        self.shared_strings_path = self.styles_path = ""
        rels_path = f"{base}/_rels/{PurePosixPath(workbook_path).name}.rels"
        for rel_id, rel_type, target in self._rels(rels_path, base):
            self.targets[rel_id] = target
            if rel_type.endswith("/sharedStrings"):
                self.shared_strings_path = target
            elif rel_type.endswith("/styles"):
                self.styles_path = target

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.archive.read(name))  # noqa: S314

    def _rels(self, name: str, base: str = "") -> list[tuple[str, str, str]]:
        if name not in self.names:
            return []
        found = []
        for rel in self.xml(name):
            target = rel.get("Target", "")
            if target.startswith("/"):
                target = target[1:]
            elif base:
                target = os.path.normpath(f"{base}/{target}").replace("\\", "/")
            found.append((rel.get("Id", ""), rel.get("Type", ""), target))
        return found

    def shared_strings(self) -> list[str]:
        if not self.shared_strings_path:
            return []
        root = self.xml(self.shared_strings_path)
        ns = _ns(root.tag)
        return [_rich_text(si, ns) for si in root if si.tag == ns + "si"]

    def date_styles(self) -> frozenset[int]:
        """Indexes of cell styles whose number format shows a date."""
        if not self.styles_path:
            return frozenset()
        from openpyxl.styles.numbers import is_date_format

        root = self.xml(self.styles_path)
        ns = _ns(root.tag)
        custom: dict[int, str] = {}
        formats = root.find(ns + "numFmts")
        for fmt in formats if formats is not None else []:
            custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        dated: set[int] = set()
        xfs = root.find(ns + "cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            if fmt_id in _DATE_FORMAT_IDS or (
                fmt_id in custom and is_date_format(custom[fmt_id])
            ):
                dated.add(index)
        return frozenset(dated)


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        with archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise TabularFormatError(_("The archive is too large when unpacked."))
            package = _Package(archive)
            workbook = package.xml(package.workbook_path)
            ns = _ns(workbook.tag)
            properties = workbook.find(ns + "workbookPr")
            epoch_1904 = properties is not None and properties.get(
                "date1904", ""
            ).lower() in ("1", "true")
            convert = _CellText(
                package.shared_strings(), package.date_styles(), epoch_1904
            )
            sheets: list[Sheet] = []
            listing = workbook.find(ns + "sheets")
            for entry in listing if listing is not None else []:
                rel_id = entry.get(_REL_ID) or entry.get(_STRICT_REL_ID) or ""
                target = package.targets.get(rel_id, "")
                if "worksheets/" not in target or target not in package.names:
                    continue  # a chart sheet or a dangling entry: no cells
                part = archive.read(target)
                numbered = _xlsx_rows_fast(part, convert)
                if numbered is None:
                    numbered = _xlsx_rows(ET.fromstring(part), convert)  # noqa: S314
                sheets.append(_sheet(entry.get("name", ""), numbered))
    except (
        zipfile.BadZipFile,
        ET.ParseError,
        KeyError,
        ValueError,
        IndexError,
        OSError,
    ) as exc:
        raise TabularFormatError(
            _("The file is not a readable .xlsx workbook.")
        ) from exc
    return sheets


_COLUMN_INDEX: dict[str, int] = {}


def _column_index(letters: str) -> int:
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for char in letters:
            index = index * 26 + ord(char.upper()) - 64
        index -= 1
        _COLUMN_INDEX[letters] = index
    return index


class _CellText:
    """Turns one cell's stored value into the text the importers read."""

    def __init__(
        self, strings: list[str], date_styles: frozenset[int], epoch_1904: bool
    ) -> None:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

        self.strings = strings
        self.date_styles = date_styles
        self.epoch = CALENDAR_MAC_1904 if epoch_1904 else CALENDAR_WINDOWS_1900

    def __call__(self, kind: str | None, style: str | None, text: str) -> str:
        if kind == "s":
            return self.strings[int(text)] if text else ""
        if kind == "b":
            return "true" if text.strip() in ("1", "true") else "false"
        if kind == "d":
            return text.removesuffix("T00:00:00").removesuffix("T00:00:00Z")
        if kind == "str" or kind == "e":
            return _unescape(text)
        if not text:
            return ""
        if style and int(style) in self.date_styles:
            from openpyxl.utils.datetime import from_excel

            return _cell(from_excel(float(text), self.epoch))
        return _number(text)


def _place(values: list[str], column: int, text: str) -> None:
    if column >= len(values):
        values.extend([""] * (column + 1 - len(values)))
    values[column] = text


# Cells as Excel and this module write them: ``<c r="B7" s="1" t="s"><v>3</v></c>``
# (optionally with a formula before the value). Anything else (inline strings,
# prefixed tags, cells without a reference) takes the slower, general path.
_FAST_CELL = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?((?: [\w:]+="[^"]*")*) ?'
    r"(?:/>|>(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>)?</c>)"
)
_ATTR_T = re.compile(r' t="([^"]*)"')
_ATTR_S = re.compile(r' s="([^"]*)"')


def _xlsx_rows_fast(
    data: bytes, convert: _CellText
) -> list[tuple[int, list[str]]] | None:
    """Rows of a worksheet read with one regular expression; ``None`` if unsure.

    Twice as fast as building an XML tree. It is used only when every cell of
    the part matched, so a file it does not understand is never misread.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "<sheetData" not in text:
        return None
    cells = _FAST_CELL.findall(text)
    if len(cells) != text.count("<c ") + text.count("<c>"):
        return None
    rows: dict[int, list[str]] = {}
    strings = convert.strings
    index = _COLUMN_INDEX
    current = -1
    values: list[str] = []
    for letters, number, style, kind, others, raw in cells:
        if not raw:
            continue
        if others:  # attributes in another order, or more of them
            found = _ATTR_T.search(others)
            kind = found[1] if found else kind
            found = _ATTR_S.search(others)
            style = found[1] if found else style
        if kind == "s":
            value = strings[int(raw)]
        elif not kind and not style and raw.isdigit():
            value = raw
        else:
            value = convert(kind, style, html.unescape(raw) if "&" in raw else raw)
        if not value:
            continue
        row_number = int(number)
        if row_number != current:
            current = row_number
            values = rows.setdefault(row_number, [])
        column = index.get(letters)
        if column is None:
            column = _column_index(letters)
        if column < len(values):
            values[column] = value
        else:
            if column > len(values):
                values.extend([""] * (column - len(values)))
            values.append(value)
    return sorted(rows.items())


def _xlsx_rows(root: ET.Element, convert: _CellText) -> list[tuple[int, list[str]]]:
    """Rows of a worksheet from its XML tree: the general path."""
    ns = _ns(root.tag)
    tag_row, tag_c, tag_v, tag_is = ns + "row", ns + "c", ns + "v", ns + "is"
    data = root.find(ns + "sheetData")
    found: list[tuple[int, list[str]]] = []
    number = 0
    for row in data if data is not None else []:
        if row.tag != tag_row:
            continue
        ref = row.get("r")
        number = int(ref) if ref else number + 1
        values: list[str] = []
        column = -1
        for cell in row:
            if cell.tag != tag_c:
                continue
            ref = cell.get("r")
            column = _column_index(ref.rstrip("0123456789")) if ref else column + 1
            kind = cell.get("t")
            text = ""
            if kind == "inlineStr":
                for child in cell:
                    if child.tag == tag_is:
                        text = _rich_text(child, ns)
            else:
                for child in cell:
                    if child.tag == tag_v:
                        text = child.text or ""
                text = convert(kind, cell.get("s"), text)
            if text:
                _place(values, column, text)
        found.append((number, values))
    return found


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


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile(r"(?=_x[0-9A-Fa-f]{4}_)")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    "</borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _xml_text(text: str) -> str:
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub("_x005F", text)
    if "\r" in text:  # XML readers turn CR LF into LF; Excel escapes CR so
        text = text.replace("\r", "_x000D_")
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _SharedStrings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def add(self, text: str) -> int:
        self.count += 1
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def xml(self) -> str:
        items = "".join(
            f'<si><t xml:space="preserve">{_xml_text(text)}</t></si>'
            for text in self.index
        )
        return (
            f'{_XML_HEAD}<sst xmlns="{_MAIN}" count="{self.count}" '
            f'uniqueCount="{len(self.index)}">{items}</sst>'
        )


def _sheet_xml(sheet: SheetContent, strings: _SharedStrings) -> str:
    header = list(sheet.header)
    letters = [_column_letter(i) for i in range(max(len(header), 64))]
    out = [
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN}"><sheetViews>'
        '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
    ]
    if header:
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{sheet.widths.get(name, 14)}" '
            'customWidth="1"/>'
            for i, name in enumerate(header)
        )
        out.append(f"<cols>{cols}</cols>")
    out.append('<sheetData><row r="1">')
    out.extend(
        f'<c r="{letters[i]}1" s="1" t="s"><v>{strings.add(name)}</v></c>'
        for i, name in enumerate(header)
    )
    out.append("</row>")
    add = strings.add
    for number, row in enumerate(sheet.rows, start=2):
        cells = [f'<row r="{number}">']
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool | date):
                value = cell_text(value)
            elif isinstance(value, int | float | Decimal):
                text = format_number(value)
                if len(text.lstrip("-").replace(".", "").strip("0")) <= 15:
                    cells.append(f'<c r="{letters[i]}{number}"><v>{text}</v></c>')
                    continue
                value = text  # more digits than Excel keeps: written as text
            cells.append(f'<c r="{letters[i]}{number}" t="s"><v>{add(value)}</v></c>')
        cells.append("</row>")
        out.append("".join(cells))
    out.append("</sheetData>")
    validations = [
        f'<dataValidation type="list" allowBlank="1" showErrorMessage="0" '
        f'sqref="{letters[header.index(column)]}2:{letters[header.index(column)]}'
        f'1048576"><formula1>"{_xml_text(",".join(values))}"</formula1>'
        "</dataValidation>"
        for column, values in sheet.choices.items()
        if column in header
    ]
    if validations:
        out.append(
            f'<dataValidations count="{len(validations)}">{"".join(validations)}'
            "</dataValidations>"
        )
    out.append("</worksheet>")
    return "".join(out)


def write_xlsx(sheets: Sequence[SheetContent]) -> bytes:
    """An .xlsx workbook with one sheet per item, header row bold and frozen.

    Strings are shared strings, numbers are numbers (as text when they have more
    than the 15 significant digits Excel keeps), dates ISO text.
    """
    strings = _SharedStrings()
    parts = [_sheet_xml(sheet, strings) for sheet in sheets]
    count = len(parts)
    content_types = (
        f"{_XML_HEAD}<Types "
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        + '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    )
    root_rels = (
        f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(
            f'<sheet name="{_xml_attr(sheet.name[:31])}" sheetId="{i}" r:id="rId{i}"/>'
            for i, sheet in enumerate(sheets, start=1)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_RELS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        + f'<Relationship Id="rId{count + 1}" Type="{_RELS}/styles" '
        'Target="styles.xml"/>'
        f'<Relationship Id="rId{count + 2}" Type="{_RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, part in enumerate(parts, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", part)
        archive.writestr("xl/sharedStrings.xml", strings.xml())
    return buffer.getvalue()
