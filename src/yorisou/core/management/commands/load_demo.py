"""``yorisou load_demo``: load the demo data set (idempotent) and print sign-ins."""

from typing import Any

from django.core.management.base import BaseCommand

from yorisou.core import audit
from yorisou.core.demo import load_all


class Command(BaseCommand):
    help = "Load the sample data set (safe to run again: keeps existing data)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_all()
        audit.seal()
        self.stdout.write(self.style.SUCCESS("Demo data loaded (sample data)."))
        self.stdout.write("")
        self.stdout.write("Demo sign-ins / デモ用ログイン:")
        width = max(len(login.role) for login in logins) if logins else 0
        for login in logins:
            self.stdout.write(
                f"  {login.role.ljust(width)}  {login.username} / {login.password}"
            )
