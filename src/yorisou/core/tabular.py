"""Reading and reporting tabular imports (CSV or XLSX), shared by every importer.

Imports are all-or-nothing: an importer validates every row, collects every bad
cell as a :class:`RowError`, and writes only when there are none.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _


class TabularFormatError(ValueError):
    """The file itself cannot be read (wrong type, encoding, no header)."""


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the user sees it (header = 1), the column."""

    row: int
    column: str
    message: str
    value: str = ""


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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
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
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise TabularFormatError(_("The CSV file is neither UTF-8 nor Shift_JIS."))
        table = list(csv.reader(io.StringIO(text)))
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
