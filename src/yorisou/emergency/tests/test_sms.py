"""The HTTP SMS gateway against a real loopback server, and the outbox."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from yorisou.emergency import sms


class Provider(BaseHTTPRequestHandler):
    """A tiny SMS provider: records each request, answers with ``status``."""

    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        type(self).received.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "body": json.loads(body),
            }
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "msg-42"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[tuple[str, type[Provider]]]:
    handler = type("Handler", (Provider,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/sms", handler
    finally:
        server.shutdown()
        server.server_close()


def test_http_gateway_posts_json_with_a_bearer_token(
    settings: Any, provider: tuple[str, type[Provider]]
) -> None:
    url, handler = provider
    settings.LIVE119 = {
        **settings.LIVE119,
        "SMS_GATEWAY": "http",
        "SMS_HTTP_URL": url,
        "SMS_HTTP_TOKEN": "s3cret",
        "SMS_SENDER": "119",
    }
    message_id = sms.gateway().send(to="+819012345678", text="リンク https://x/c/t/")
    assert message_id == "msg-42"
    (request,) = handler.received
    assert request["path"] == "/v1/sms"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {
        "to": "+819012345678",
        "from": "119",
        "text": "リンク https://x/c/t/",
    }


def test_http_gateway_raises_on_an_error_status(
    settings: Any, provider: tuple[str, type[Provider]]
) -> None:
    url, handler = provider
    handler.status = 503
    settings.LIVE119 = {**settings.LIVE119, "SMS_GATEWAY": "http", "SMS_HTTP_URL": url}
    with pytest.raises(sms.SmsError) as failed:
        sms.gateway().send(to="+819012345678", text="secret-link")
    assert "503" in str(failed.value)
    assert "secret-link" not in str(failed.value)


def test_http_gateway_needs_a_url(settings: Any) -> None:
    settings.LIVE119 = {**settings.LIVE119, "SMS_GATEWAY": "http", "SMS_HTTP_URL": ""}
    with pytest.raises(sms.SmsError):
        sms.gateway().send(to="+819012345678", text="x")


def test_outbox_writes_one_private_file_per_message(
    settings: Any, tmp_path: Path
) -> None:
    settings.LIVE119 = {
        **settings.LIVE119,
        "SMS_GATEWAY": "outbox",
        "SMS_OUTBOX_DIR": tmp_path / "sms",
    }
    gateway = sms.gateway()
    gateway.send(to="+819012345678", text="one")
    gateway.send(to="+819012345678", text="two")
    files = sorted((tmp_path / "sms").glob("*.txt"))
    assert len(files) == 2
    assert {f.read_text().split("\n\n", 1)[1].strip() for f in files} == {"one", "two"}
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)


def test_gateways_are_registered() -> None:
    assert "outbox" in sms.sms_gateways and "http" in sms.sms_gateways
    assert sms.mask_phone("+819012345678") == "*********5678"
