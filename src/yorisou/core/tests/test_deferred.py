"""Tasks sent after commit in batches by one thread per process."""

import threading
import time
from typing import Any

from django.db import transaction
from django.test import override_settings

import pytest

from yorisou.core import deferred, tasks

pytestmark = pytest.mark.django_db(transaction=True)


class _Task:
    """Stands for a Celery task: records what would go to the broker."""

    def __init__(self, name: str, sent: list[Any]) -> None:
        self.name = name
        self.sent = sent

    def apply_async(self, args: tuple[Any, ...] = ()) -> None:
        self.sent.append((self.name, tuple(args), time.monotonic()))


@pytest.fixture
def batched(monkeypatch: Any) -> Any:
    sent: list[Any] = []
    monkeypatch.setattr(deferred, "_run_many", lambda: _Task("run_many", sent))
    monkeypatch.setattr(deferred, "_current", None)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, TASK_BATCH_SECONDS=0.05):
        yield sent
    assert deferred.flush(5)


def test_calls_of_one_commit_go_as_one_message(batched: list[Any]) -> None:
    receipt = _Task("receipt", batched)
    single = _Task("single", batched)
    with transaction.atomic():
        for application_id in (1, 2, 3):
            deferred.call_after_commit(receipt, application_id)
        deferred.call_after_commit(single, "x")
        assert batched == []  # nothing before the commit
    assert deferred.flush(5)
    messages = sorted((name, args) for name, args, _at in batched)
    assert messages == [
        ("run_many", ("receipt", [[1], [2], [3]])),
        ("single", ("x",)),
    ]


def test_nothing_is_sent_for_a_rollback(batched: list[Any]) -> None:
    receipt = _Task("receipt", batched)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        deferred.call_after_commit(receipt, 1)
        1 / 0  # noqa: B018
    assert deferred.flush(5)
    assert batched == []


def test_the_request_does_not_wait_for_the_broker(batched: list[Any]) -> None:
    gate = threading.Event()

    class _SlowBroker(_Task):
        def apply_async(self, args: tuple[Any, ...] = ()) -> None:
            gate.wait(5)
            super().apply_async(args)

    slow = _SlowBroker("slow", batched)
    started = time.monotonic()
    deferred.call_after_commit(slow, 1)  # outside a transaction: at once
    assert time.monotonic() - started < 0.5
    gate.set()
    assert deferred.flush(5)
    assert [name for name, _a, _t in batched] == ["slow"]


def test_coalesced_calls_run_once_per_interval_and_after_the_last(
    batched: list[Any],
) -> None:
    seal = _Task("seal", batched)
    for _ in range(20):
        deferred.send_soon(seal, coalesce=0.4)
    time.sleep(0.2)
    assert len(batched) == 1  # the first at once, the others merged
    deferred.send_soon(seal, coalesce=0.4)  # after the first was sent
    time.sleep(0.1)
    assert len(batched) == 1  # waits for the interval ...
    deadline = time.monotonic() + 3
    while len(batched) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(batched) == 2  # ... then runs once more, after the last call
    assert batched[1][2] - batched[0][2] >= 0.35
    time.sleep(0.5)
    assert len(batched) == 2


def test_eager_settings_send_at_commit_in_the_callers_thread(
    monkeypatch: Any,
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(deferred, "_current", None)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        with transaction.atomic():
            deferred.call_after_commit(_Task("now", sent), 7)
            assert sent == []
        assert [(name, args) for name, args, _t in sent] == [("now", (7,))]
    assert deferred._current is None  # no thread was needed


def test_run_many_runs_each_call_and_sends_a_failure_again_alone(
    monkeypatch: Any,
) -> None:
    from celery import current_app

    ran: list[int] = []
    resent: list[Any] = []

    @current_app.task(name="yorisou.tests.deferred_probe", ignore_result=True)
    def probe(value: int) -> None:
        if value == 2:
            raise ValueError("two")
        ran.append(value)

    monkeypatch.setattr(
        probe, "apply_async", lambda args, **kw: resent.append((args, kw))
    )
    assert tasks.run_many("yorisou.tests.deferred_probe", [[1], [2], [3]]) == 2
    assert ran == [1, 3]
    assert resent == [((2,), {"countdown": 1})]
