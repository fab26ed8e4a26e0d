"""``yorisou audit_verify``: check the audit hash chain; non-zero exit on a break."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yorisou.core import audit


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; names the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="seal pending events first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            audit.seal()
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"audit chain broken: {result.problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {result.checked} events checked"
                + (
                    f", {result.unsealed} waiting to be sealed"
                    if result.unsealed
                    else ""
                )
            )
        )
