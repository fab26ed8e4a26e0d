"""``yorisou report --format pptx|pdf|xlsx --output FILE [--plan C] [--period P]``."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core.permissions import SYSTEM
from yorisou.reforms.models import Plan
from yorisou.reforms.selectors import period_default, period_list
from yorisou.reports.registry import sections
from yorisou.reports.services import FORMATS, report_generate


class Command(BaseCommand):
    help = "Generate the reform plan's progress report as pptx, pdf or xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--output", required=True)
        parser.add_argument(
            "--plan", help="plan code (default: the only or newest plan)"
        )
        parser.add_argument("--period", help="period code, e.g. FY2022")
        parser.add_argument(
            "--sections",
            help="comma-separated section ids in order (default: the plan's choice)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plans = Plan.objects.order_by("-end_fy", "code")
        plan = (
            plans.filter(code=options["plan"]).first()
            if options["plan"]
            else plans.first()
        )
        if plan is None:
            raise CommandError("No such plan.")
        periods = period_list(plan=plan)
        if options["period"]:
            period = next(
                (p for p in periods if p.code == options["period"].upper()), None
            )
            if period is None:
                raise CommandError(
                    f"Plan {plan.code} has no period {options['period']}."
                )
        else:
            period = period_default(periods, plan=plan)
        chosen = None
        if options["sections"]:
            chosen = [k.strip() for k in options["sections"].split(",") if k.strip()]
            unknown = [key for key in chosen if key not in sections]
            if unknown or not chosen:
                known = ", ".join(key for key, _section in sections)
                raise CommandError(
                    f"Unknown section {', '.join(unknown) or '-'} (known: {known})."
                )
        content = report_generate(
            actor=SYSTEM, plan=plan, period=period, fmt=options["format"], chosen=chosen
        )
        Path(options["output"]).write_bytes(content)
        self.stdout.write(
            f"Wrote {options['output']} ({len(content):,} bytes, plan {plan.code}, "
            f"period {period.code if period else '-'})."
        )
