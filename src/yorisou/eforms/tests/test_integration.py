"""Online applications with real processes on PostgreSQL and Redis: the deferred
work (receipt, email, statistics) is queued on commit and done by a real Celery
worker, even one started later; and a server killed in the middle of
submissions leaves every application it confirmed complete and none half
written, while retries with the same keys make exactly one each."""

import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from yorisou.core.tests.test_multiprocess import (
    _env,
    _free_port,
    _process,
    _wait_http,
)
from yorisou.eforms.tests.conftest import GOOD

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _token(user: Any) -> str:
    from rest_framework.authtoken.models import Token

    return str(Token.objects.get_or_create(user=user)[0].key)


def _worker(queue: str) -> list[str]:
    return [
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
        queue,
        "--without-gossip",
        "--without-mingle",
    ]


def _wait(condition: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_a_real_worker_does_the_deferred_work(
    components: dict[str, str], tmp_path: Path, form: Any, applicant: Any
) -> None:
    from yorisou.eforms.models import Application
    from yorisou.procedures.models import MonthlyVolume

    queue = f"it-eforms-{os.getpid()}"
    env = {**_env(components, tmp_path), "CELERY_QUEUE": queue}
    token = _token(applicant)
    port = _free_port()
    log = (tmp_path / "processes.log").open("w")
    serve = [sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1"]
    with _process([*serve, "--port", str(port)], env, log):
        _wait_http(port)
        # submitted while no worker runs: the work waits in Redis
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/applications/",
            json={"form": "test-form", "data": GOOD},
            headers={
                "Authorization": f"Token {token}",
                "Idempotency-Key": "int-00000001",
            },
            timeout=30,
        )
        assert response.status_code == 201, response.text[:500]
        pk = response.json()["id"]
        application = Application.objects.get(pk=pk)
        assert application.state == "received" and not application.receipt
        with _process(_worker(queue), env, log):
            assert _wait(
                lambda: Application.objects.filter(
                    pk=pk, receipt_sent_at__isnull=False
                ).exists()
            ), (tmp_path / "processes.log").read_text()[-3000:]
            assert _wait(
                lambda: MonthlyVolume.objects.filter(procedure=form.procedure).exists()
            )
    application.refresh_from_db()
    assert application.receipt.name
    mails = list((tmp_path / "mail").glob("*.log"))
    assert mails
    assert str(application.reference) in mails[0].read_text(errors="replace")
    assert MonthlyVolume.objects.get(procedure=form.procedure).cases == 1


def _kill_hard(pid: int) -> None:
    """SIGKILL a server and all its worker processes at once."""
    import psutil

    parent = psutil.Process(pid)
    for proc in [*parent.children(recursive=True), parent]:
        with suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)


@pytest.mark.parametrize(
    "interface", [["--interface", "asgi"], ["--interface", "wsgi", "--workers", "2"]]
)
def test_a_killed_server_loses_nothing_it_confirmed(
    components: dict[str, str],
    tmp_path: Path,
    form: Any,
    applicant: Any,
    interface: list[str],
) -> None:
    from yorisou.core.models import AuditEvent
    from yorisou.eforms.models import Application

    env = {**_env(components, tmp_path), "CELERY_QUEUE": f"it-kill-{os.getpid()}"}
    token = _token(applicant)
    headers = {"Authorization": f"Token {token}"}
    log = (tmp_path / "server.log").open("w")
    serve = [
        sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1", *interface
    ]  # fmt: skip
    keys = [f"kill-test-{n:04d}" for n in range(150)]

    def submit(port: int, key: str) -> tuple[str, int | None, int | None]:
        try:
            answer = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/applications/",
                json={"form": "test-form", "data": GOOD},
                headers={**headers, "Idempotency-Key": key},
                timeout=20,
            )
        except httpx.HTTPError:
            return key, None, None
        return (
            key,
            answer.status_code,
            answer.json().get("id") if answer.is_success else None,
        )

    port = _free_port()
    with ExitStack() as stack:
        server = stack.enter_context(_process([*serve, "--port", str(port)], env, log))
        _wait_http(port)
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(submit, port, key) for key in keys]
            # kill the server hard while requests are in flight
            time.sleep(0.4)
            _kill_hard(server.pid)
            results = [f.result() for f in futures]
    confirmed = {key: pk for key, code, pk in results if code in (200, 201)}
    assert len(confirmed) < len(keys), "the kill came too late to test anything"
    # every confirmed application is there, complete
    for pk in confirmed.values():
        application = Application.objects.get(pk=pk)
        assert application.reference and application.state == "received"
        assert application.statuses.count() == 1
        assert AuditEvent.objects.filter(
            action="eforms.application.submit", target_id=str(pk)
        ).exists()
    # nothing half written: every row has its status and its audit event
    for application in Application.objects.all():
        assert application.statuses.count() == 1
        assert application.reference
    # the citizen's app retries what got no answer: one application per key
    port = _free_port()
    with _process([*serve, "--port", str(port)], env, log):
        _wait_http(port)
        for key in keys:
            _key, code, _pk = submit(port, key)
            assert code in (200, 201)
    assert Application.objects.count() == len(keys)
    assert Application.objects.values("idempotency_key").distinct().count() == len(keys)
