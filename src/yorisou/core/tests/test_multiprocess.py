"""Several machines' worth of Yorisou on one PostgreSQL and Redis.

Two ASGI server processes share the database and Redis: a session made on one is
valid on the other, and a WebSocket client on one receives an event caused by a
request to the other. A real Celery worker seals audit events.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test import override_settings

import httpx
import pytest
import websockets

from yorisou.conftest import postgres_url, require_component

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
REDIS_URL = os.environ.get("REDIS_URL", "")


def _redis_up() -> bool:
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def components() -> dict[str, str]:
    require_component(
        bool(postgres_url()), "PostgreSQL", "set DATABASE_URL=postgres://…"
    )
    require_component(_redis_up(), "Redis", "set REDIS_URL=redis://127.0.0.1:6379/0")
    settings = connection.settings_dict
    db_url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@"
        f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )
    return {"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(components: dict[str, str], tmp_path: Any) -> dict[str, str]:
    return {
        **os.environ,
        **components,
        "DJANGO_SETTINGS_MODULE": "yorisou.conf.dev",
        "SECRET_KEY": "integration-test-secret-key-shared-by-all-processes-0123456789",
        "FIELD_ENCRYPTION_KEYS": "zQ6yO3oXb8cJ1WwQ0m1l3cUe2dH3m4dYkqW1xQm9ZkQ=",
        "YORISOU_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Any) -> Iterator[Any]:
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_http(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                == 200
            ):
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


def test_session_and_websocket_cross_two_server_processes(
    components, tmp_path, make_user, org
):
    user = make_user("system_admin", username="opsadmin", org_unit=org["info"])
    # The servers run the production hashers, not the fast one of the test settings.
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    ):
        user.set_password("correct-horse-battery")
        user.save()
    env = _env(components, tmp_path)
    port_a, port_b = _free_port(), _free_port()
    log = (tmp_path / "servers.log").open("w")
    serve = [sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1", "--port"]
    with (
        _process([*serve, str(port_a)], env, log),
        _process([*serve, str(port_b)], env, log),
    ):
        _wait_http(port_a)
        _wait_http(port_b)
        a = httpx.Client(base_url=f"http://127.0.0.1:{port_a}")
        page = a.get("/accounts/login/")
        csrf = a.cookies["csrftoken"]
        response = a.post(
            "/accounts/login/",
            data={
                "username": "opsadmin",
                "password": "correct-horse-battery",
                "csrfmiddlewaretoken": csrf,
            },
            headers={"Referer": str(page.url)},
        )
        assert response.status_code == 302, response.text[:500]
        session = a.cookies["sessionid"]

        b = httpx.Client(
            base_url=f"http://127.0.0.1:{port_b}", cookies={"sessionid": session}
        )
        home_b = b.get("/")
        assert home_b.status_code == 200
        assert "opsadmin" in home_b.text

        async def watch_b_then_act_on_a() -> dict[str, Any]:
            async with websockets.connect(
                f"ws://127.0.0.1:{port_b}/ws/audit/",
                additional_headers={
                    "Cookie": f"sessionid={session}",
                    "Origin": f"http://127.0.0.1:{port_b}",
                },
            ) as ws:
                await asyncio.sleep(0.5)
                settings_page = await asyncio.to_thread(a.get, "/core/settings/")
                await asyncio.to_thread(
                    a.post,
                    "/core/settings/",
                    data={
                        "require_staff_two_factor": "",
                        "csrfmiddlewaretoken": a.cookies["csrftoken"],
                    },
                    headers={"Referer": str(settings_page.url)},
                )
                return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout=15)))

        message = asyncio.run(watch_b_then_act_on_a())
        assert message["action"] == "core.site_configuration.update"
        assert message["actor"] == "opsadmin"


def test_celery_worker_seals_audit_events(components, tmp_path):
    from django.utils import timezone

    from yorisou.core import audit
    from yorisou.core.models import AuditEvent
    from yorisou.core.permissions import SYSTEM

    # Events as web processes leave them: recorded, not yet sealed.
    AuditEvent.objects.bulk_create(
        AuditEvent(
            created_at=timezone.now(),
            action="worker.test",
            target_repr=str(i),
            actor_repr=str(SYSTEM),
        )
        for i in range(3)
    )
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 3
    env = _env(components, tmp_path)
    log = (tmp_path / "worker.log").open("w")
    worker = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "yorisou",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "-Q",
        f"it-{os.getpid()}",
        "--without-gossip",
        "--without-mingle",
    ]
    from yorisou.celery import app
    from yorisou.core.tasks import audit_seal

    app.conf.broker_url = REDIS_URL
    with _process(worker, env, log):
        result = audit_seal.apply_async(queue=f"it-{os.getpid()}")
        assert result.id
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if not AuditEvent.objects.filter(seq__isnull=True).exists():
                break
            time.sleep(0.5)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert audit.verify().ok
