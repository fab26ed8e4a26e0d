"""``yorisou export_procedures FILE``: every procedure in the survey layout."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core.permissions import SYSTEM
from yorisou.procedures import survey

FORMATS = {".xlsx": "xlsx", ".csv": "csv"}


class Command(BaseCommand):
    help = (
        "Export every procedure to FILE in the layout of the all-department "
        "survey: an .xlsx workbook or a .csv file (chosen by the extension)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write: SURVEY.xlsx or SURVEY.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise CommandError("FILE must end in .xlsx or .csv")
        content = survey.procedure_export(actor=SYSTEM, fmt=fmt)
        path.write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported the procedures to {path} ({len(content):,} bytes)."
            )
        )
