"""``yorisou serve``: run the ASGI server (HTTP and WebSockets)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

import uvicorn


class Command(BaseCommand):
    help = "Run the Yorisou ASGI server (uvicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="worker processes (production)"
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="trust X-Forwarded-* from the reverse proxy",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"Yorisou is serving on http://{options['host']}:{options['port']}/ "
            "(Ctrl+C to stop)"
        )
        uvicorn.run(
            "yorisou.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=options["proxy_headers"],
            lifespan="off",
            # Use Django's LOGGING, so access lines pass the redacting filter.
            log_config=None,
            log_level="info",
        )
