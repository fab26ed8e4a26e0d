"""Locust users for ``benchmarks/eforms_submit.py`` (not meant to be run alone).

``BENCH_MODE=ceiling`` requests ``GET /healthz`` (the server's cheapest URL: one
``SELECT 1``); ``BENCH_MODE=submit`` posts a complete 20-field application to
``POST /api/v1/applications/`` with a fresh ``Idempotency-Key`` and, for a share
``BENCH_RETRY_SHARE`` of the requests, sends a key this user already got a 201
for again (it must answer 200 with the same application).

Only requests that start at or after ``BENCH_WINDOW_START`` and end at or before
``BENCH_WINDOW_END`` (Unix times) are kept. At the end the process writes
``BENCH_OUT`` (JSON): latencies in ms per kind and status counts, the keys
answered 201 with their application ids, and the retries that did not get the
same application back.
"""

import json
import os
import random
import threading
import time
from itertools import count
from typing import Any

from locust import FastHttpUser, constant, constant_throughput, events, task

MODE = os.environ.get("BENCH_MODE", "submit")
WINDOW_START = float(os.environ.get("BENCH_WINDOW_START", "0"))
WINDOW_END = float(os.environ.get("BENCH_WINDOW_END", "1e12"))
RETRY_SHARE = float(os.environ.get("BENCH_RETRY_SHARE", "0.05"))
PER_USER_RATE = float(os.environ.get("BENCH_PER_USER_RATE", "0"))
RUN_ID = os.environ.get("BENCH_RUN_ID", "run")
FORM = os.environ.get("BENCH_FORM", "bench-20")
OUT = os.environ.get("BENCH_OUT", "locust-out.json")
with open(os.environ.get("BENCH_TOKENS", "tokens.json"), encoding="utf-8") as _f:
    TOKENS: list[str] = json.load(_f)
with open(os.environ.get("BENCH_ANSWERS", "answers.json"), encoding="utf-8") as _f:
    ANSWERS: list[dict[str, Any]] = json.load(_f)

_lock = threading.Lock()
_latencies: dict[str, list[float]] = {}
_statuses: dict[str, dict[str, int]] = {}
_created: list[tuple[str, int, int]] = []  # (token index, key, application id)
_bad_retries: list[dict[str, Any]] = []
_user_numbers = count()


def _keep(kind: str, started: float, ended: float, millis: float, status: int) -> None:
    if started < WINDOW_START or ended > WINDOW_END:
        return
    with _lock:
        _latencies.setdefault(kind, []).append(millis)
        per_kind = _statuses.setdefault(kind, {})
        per_kind[str(status)] = per_kind.get(str(status), 0) + 1


class Citizen(FastHttpUser):
    """One signed-in citizen (a token) submitting applications."""

    wait_time = constant_throughput(PER_USER_RATE) if PER_USER_RATE else constant(0)
    connection_timeout = 30.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.number = next(_user_numbers)
        self.token_index = self.number % len(TOKENS)
        self.headers = {
            "Authorization": f"Token {TOKENS[self.token_index]}",
            "Content-Type": "application/json",
            # as behind the TLS-terminating proxy of a production site
            "X-Forwarded-Proto": "https",
        }
        self.sent = count()
        self.mine: list[tuple[str, int]] = []  # keys answered 201, for retries
        self.rng = random.Random(self.number)  # noqa: S311 (load pattern)

    @task
    def act(self) -> None:
        if MODE == "ceiling":
            self._healthz()
        elif self.mine and self.rng.random() < RETRY_SHARE:
            self._retry()
        else:
            self._submit()

    def _healthz(self) -> None:
        started = time.time()
        with self.client.get(
            "/healthz", headers={"X-Forwarded-Proto": "https"}, catch_response=True
        ) as response:
            ended = time.time()
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
        _keep("healthz", started, ended, (ended - started) * 1000, response.status_code)

    def _post(self, key: str) -> tuple[int, dict[str, Any], float, float]:
        answers = ANSWERS[self.rng.randrange(len(ANSWERS))]
        body = json.dumps({"form": FORM, "data": answers})
        started = time.time()
        with self.client.post(
            "/api/v1/applications/",
            data=body,
            headers={**self.headers, "Idempotency-Key": key},
            catch_response=True,
        ) as response:
            ended = time.time()
            status = response.status_code
            try:
                payload = json.loads(response.text or "{}")
            except ValueError:
                payload = {}
            if status not in (200, 201):
                response.failure(f"status {status}: {(response.text or '')[:200]}")
        return status, payload, started, ended

    def _submit(self) -> None:
        key = f"{RUN_ID}-{self.number}-{next(self.sent)}"
        status, payload, started, ended = self._post(key)
        if status == 201:
            with _lock:
                _created.append((str(self.token_index), key, int(payload["id"])))
            self.mine.append((key, int(payload["id"])))
        elif status == 200:  # a fresh key must never find an application
            with _lock:
                _bad_retries.append({"key": key, "status": status, "fresh": True})
        _keep("submit", started, ended, (ended - started) * 1000, status)

    def _retry(self) -> None:
        key, expected = self.mine[self.rng.randrange(len(self.mine))]
        status, payload, started, ended = self._post(key)
        if status != 200 or payload.get("id") != expected:
            with _lock:
                _bad_retries.append(
                    {"key": key, "status": status, "id": payload.get("id")}
                )
        _keep("retry", started, ended, (ended - started) * 1000, status)


@events.quitting.add_listener
def _write(environment: Any, **kwargs: Any) -> None:
    with _lock, open(OUT, "w", encoding="utf-8") as out:
        json.dump(
            {
                "latencies": _latencies,
                "statuses": _statuses,
                "created": _created,
                "bad_retries": _bad_retries,
                "window": [WINDOW_START, WINDOW_END],
            },
            out,
        )
