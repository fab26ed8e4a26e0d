"""``yorisou import_plan FILE``: create or update a reform plan from a file.

FILE is an .xlsx workbook, a .zip of CSV files or a folder of CSV files. All or
nothing: on any error, every error is printed and nothing is imported.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core.permissions import SYSTEM
from yorisou.core.tabular import TabularFormatError
from yorisou.reforms import transfer


class Command(BaseCommand):
    help = (
        "Import a reform plan from FILE (.xlsx, .zip of CSV files, or a folder of "
        "CSV files). Rows are matched by code; nothing is written if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="PLAN.xlsx, PLAN.zip or a folder of CSVs")
        parser.add_argument(
            "--plan", help="refuse the file unless it is for the plan with this code"
        )
        parser.add_argument(
            "--sample", action="store_true", help="mark new rows as sample data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            workbook = transfer.read_plan_workbook(path, path.name)
        except TabularFormatError as exc:
            raise CommandError(str(exc)) from exc
        result = transfer.plan_import(
            actor=SYSTEM,
            workbook=workbook,
            mark_sample=options["sample"],
            expected_plan_code=options["plan"],
        )
        if not result.ok:
            for problem in result.errors:
                value = f" ({problem.value})" if problem.value else ""
                self.stderr.write(
                    f"{problem.sheet} {problem.row} {problem.column}: "
                    f"{problem.message}{value}"
                )
            raise CommandError(
                f"{len(result.errors)} error(s); nothing was imported from {path}"
            )
        for sheet, counts in result.sheets.items():
            if counts.created or counts.updated or counts.unchanged:
                self.stdout.write(
                    f"  {sheet}: {counts.created} created, {counts.updated} updated, "
                    f"{counts.unchanged} unchanged"
                )
        plan = result.plan.code if result.plan else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported plan {plan}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
