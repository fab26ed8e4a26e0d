"""The Excel round trip of a whole reform plan (改革計画の一括入出力).

``plan_export`` writes every part of a plan as one workbook (or a .zip of CSV
files) in the layout of ``reforms.workbook``; ``read_plan_workbook`` and
``plan_import`` read such a file back. Import upserts by code and natural keys,
leaves rows that are not in the file alone, and is all or nothing: every bad
cell of every sheet is reported and nothing is written while there is one.

Plans have tens of thousands of rows, so both directions work in bulk: one query
per sheet to load what exists, bulk inserts and updates in one transaction, and
one audit event per import that sums up what changed.

Modules: ``cells`` (how each column is parsed), ``checking`` (reading the file,
checking every row), ``existing`` (what the plan holds), ``importing`` (writing),
``bulk`` (fast bulk writes), ``exporting`` and ``readme``.
"""

from yorisou.reforms.transfer.checking import PlanWorkbook, read_plan_workbook
from yorisou.reforms.transfer.exporting import plan_export
from yorisou.reforms.transfer.importing import (
    PlanImportResult,
    SheetCounts,
    plan_import,
)

__all__ = [
    "PlanImportResult",
    "PlanWorkbook",
    "SheetCounts",
    "plan_export",
    "plan_import",
    "read_plan_workbook",
]
