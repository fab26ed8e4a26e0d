"""``yorisou export_plan FILE [--plan CODE]``: a whole reform plan as .xlsx or .zip."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core.permissions import SYSTEM
from yorisou.reforms import transfer
from yorisou.reforms.models import Plan

FORMATS = {".xlsx": "xlsx", ".zip": "zip"}


class Command(BaseCommand):
    help = (
        "Export a reform plan to FILE: an .xlsx workbook or a .zip of CSV files "
        "(chosen by the extension)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write: PLAN.xlsx or PLAN.zip")
        parser.add_argument(
            "--plan", help="code of the plan (needed when there is more than one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise CommandError("FILE must end in .xlsx or .zip")
        plan = self._plan(options["plan"])
        content = transfer.plan_export(actor=SYSTEM, plan=plan, fmt=fmt)
        path.write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported plan {plan.code} to {path} ({len(content):,} bytes)."
            )
        )

    def _plan(self, code: str | None) -> Plan:
        if code:
            found = Plan.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"no plan has the code {code!r}")
            return found
        codes = sorted(Plan.objects.values_list("code", flat=True))
        if len(codes) != 1:
            raise CommandError(
                "give --plan CODE; plans: " + (", ".join(codes) or "(none)")
            )
        return Plan.objects.get(code=codes[0])
