"""``yorisou serve``: the ASGI server by default, gunicorn's WSGI workers with
``--interface wsgi`` (HTTP only; see docs/operations.md)."""

import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

import httpx
import pytest

from yorisou.core.management.commands import serve
from yorisou.core.tests.test_multiprocess import components

__all__ = ["components"]


def _options(**extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": 8123,
        "workers": 3,
        "threads": 1,
        "proxy_headers": False,
        **extra,
    }


def test_wsgi_mode_uses_sync_workers_without_access_log():
    options = serve.gunicorn_options(_options())
    assert options["bind"] == ["127.0.0.1:8123"]
    assert options["workers"] == 3
    assert options["worker_class"] == "sync"
    assert options["accesslog"] is None
    assert options["forwarded_allow_ips"] == ""  # trust no proxy unless told


def test_wsgi_mode_with_threads_and_proxy_headers():
    options = serve.gunicorn_options(_options(threads=4, proxy_headers=True))
    assert (options["worker_class"], options["threads"]) == ("gthread", 4)
    assert options["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_every_wsgi_option_is_a_gunicorn_setting():
    from gunicorn.config import Config

    known = set(Config().settings)
    # control_socket_disable only exists from gunicorn 25.1 on (then it is set)
    assert set(serve.gunicorn_options(_options())) - known <= {"control_socket_disable"}


def test_threads_are_for_the_wsgi_server_only():
    with pytest.raises(CommandError, match="--threads"):
        call_command("serve", "--threads", "4")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_wsgi_server_serves_http_and_no_websockets(components, tmp_path):
    from yorisou.core.tests.test_multiprocess import (
        _env,
        _free_port,
        _process,
        _wait_http,
    )

    port = _free_port()
    command = [
        sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--interface", "wsgi", "--workers", "2",
    ]  # fmt: skip
    log = (tmp_path / "server.log").open("w")
    with _process(command, _env(components, tmp_path), log):
        _wait_http(port)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/accounts/login/")
        assert page.status_code == 200 and "csrfmiddlewaretoken" in page.text
        # a WebSocket handshake is not for this server (the proxy sends /ws/ to
        # the ASGI one)
        upgrade = httpx.get(
            f"http://127.0.0.1:{port}/ws/audit/",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert upgrade.status_code != 101
    assert "gunicorn" in (tmp_path / "server.log").read_text()
