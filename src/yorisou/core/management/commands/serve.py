"""``yorisou serve``: run the ASGI server (HTTP and WebSockets), or, with
``--interface wsgi``, plain HTTP through gunicorn's WSGI workers.

The ASGI server (uvicorn) serves everything: pages, the API and WebSockets. Under
it Django runs each request's synchronous code in a thread of its own, which
costs CPU on every request. A production site with much HTTP traffic can serve
HTTP from ``--interface wsgi`` (gunicorn, one request at a time per worker
process, or ``--threads`` per process) and keep an ``--interface asgi`` server
for WebSockets; the reverse proxy sends ``/ws/`` to the ASGI server and
everything else to the WSGI one (docs/operations.md). The WSGI server answers no
WebSocket and writes no access log of its own (the proxy's log is the record).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections


def gunicorn_options(options: dict[str, Any]) -> dict[str, Any]:
    """gunicorn settings for ``--interface wsgi``."""
    threads = max(1, int(options.get("threads") or 1))
    return {
        "bind": [f"{options['host']}:{options['port']}"],
        "workers": max(1, int(options["workers"])),
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        # X-Forwarded-Proto is read by Django (SECURE_PROXY_SSL_HEADER) and the
        # client address by the audit middleware (AXES_IPWARE_PROXY_COUNT).
        "forwarded_allow_ips": "127.0.0.1,::1" if options["proxy_headers"] else "",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "backlog": 2048,
        "proc_name": "yorisou-wsgi",
        # gunicorn >= 25.1 opens a control socket in $HOME by default; several
        # servers on one machine would share it.
        "control_socket_disable": True,
        "post_fork": _post_fork,
    }


def _post_fork(server: Any, worker: Any) -> None:
    # A worker must not share a database connection with the master.
    for connection in connections.all(initialized_only=True):
        connection.close()


class Command(BaseCommand):
    help = (
        "Run the Yorisou server: ASGI (uvicorn; HTTP and WebSockets) or, with "
        "--interface wsgi, HTTP only through gunicorn."
    )

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
        parser.add_argument(
            "--interface",
            choices=["asgi", "wsgi"],
            default="asgi",
            help=(
                "asgi: uvicorn, HTTP and WebSockets (default); wsgi: gunicorn, HTTP "
                "only (WebSockets go to an asgi server behind the same proxy)"
            ),
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="wsgi only: threads per worker process (1: sync workers)",
        )
        parser.add_argument(
            "--no-access-log",
            action="store_true",
            help="asgi only: no access line per request (the proxy logs them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"Yorisou is serving on http://{options['host']}:{options['port']}/ "
            f"({options['interface'].upper()}; Ctrl+C to stop)"
        )
        if options["interface"] == "wsgi":
            self._wsgi(options)
            return
        if options["threads"] != 1:
            raise CommandError("--threads is for --interface wsgi")
        import uvicorn

        uvicorn.run(
            "yorisou.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            proxy_headers=options["proxy_headers"],
            lifespan="off",
            access_log=not options["no_access_log"],
            # Use Django's LOGGING, so access lines pass the redacting filter.
            log_config=None,
            log_level="info",
        )

    def _wsgi(self, options: dict[str, Any]) -> None:
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:  # pragma: no cover - a dependency of the project
            raise CommandError("--interface wsgi needs gunicorn") from None

        settings = gunicorn_options(options)

        class _Server(BaseApplication):
            def load_config(self) -> None:
                for name, value in settings.items():
                    if name in self.cfg.settings:  # older gunicorn lack some
                        self.cfg.set(name, value)

            def load(self) -> Any:
                from yorisou.wsgi import application

                return application

        # Nothing of the master's may reach the forked workers.
        connections.close_all()
        _Server().run()
