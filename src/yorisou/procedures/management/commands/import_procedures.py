"""``yorisou import_procedures FILE``: create or update procedures from a survey.

FILE is the all-department survey (手続の全庁調査票) as .xlsx or .csv. All or
nothing: on any error, every error is printed and nothing is imported.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core.permissions import SYSTEM
from yorisou.core.tabular import TabularFormatError
from yorisou.procedures import survey


class Command(BaseCommand):
    help = (
        "Import the procedure survey from FILE (.xlsx or .csv). Procedures are "
        "matched by code; nothing is written if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="SURVEY.xlsx or SURVEY.csv")
        parser.add_argument(
            "--sample", action="store_true", help="mark new procedures as sample data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} does not exist")
        try:
            result = survey.procedure_import(
                actor=SYSTEM,
                stream_or_path=path,
                filename=path.name,
                mark_sample=options["sample"],
            )
        except TabularFormatError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            for problem in result.errors:
                value = f" ({problem.value})" if problem.value else ""
                self.stderr.write(
                    f"{problem.row} {problem.column}: {problem.message}{value}"
                )
            raise CommandError(
                f"{len(result.errors)} error(s); nothing was imported from {path}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported procedures from {path}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
