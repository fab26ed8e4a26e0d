"""The ``yorisou`` console script: a thin hand-off to Django's management commands."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command (``yorisou serve``, ``yorisou load_demo`` …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yorisou", *(sys.argv[1:] if argv is None else argv)])
