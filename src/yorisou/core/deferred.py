"""Tasks sent after commit, off the request's path.

``call_after_commit(task, *args)`` schedules a Celery task for the commit of the
current transaction, like ``transaction.on_commit(lambda: task.delay(*args))``,
but the request does not pay for the broker. Sending one Celery message costs
about a millisecond of CPU (kombu builds the message, redis-py a client), which
is a tenth of a whole API submission. Instead, each process hands its calls to
one background thread that sends what gathered every ``TASK_BATCH_SECONDS``: a
task called once goes as it is; a task called several times goes as one
``yorisou.core.tasks.run_many`` message that runs each call in turn (a call that
fails is sent again on its own, with the task's own retry policy).

``coalesce=S`` is for tasks without arguments that only need to run *after* the
last call, such as sealing the audit trail: calls are merged and the task is
sent at most once every ``S`` seconds per process, always after the last call.

What may be lost: a process that is killed sends nothing of what it held (at
most ``TASK_BATCH_SECONDS`` of calls), and a broker that stays unreachable
loses calls past ``MAX_PENDING``. So deferred work must be idempotent and have a
periodic sweep that finds what was not done (e.g. ``eforms.tasks.after_submit_sweep``,
the audit trail's ``audit-seal`` beat); the transaction's own data is never at
risk. With ``CELERY_TASK_ALWAYS_EAGER`` (tests, the embedded demo) or
``TASK_BATCH_SECONDS = 0`` the task is sent at commit, in the caller's thread.
"""

import logging
import os
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.db import transaction

MAX_PENDING = 100_000

logger = logging.getLogger(__name__)

_Call = tuple[Any, tuple[Any, ...], float | None]


def call_after_commit(task: Any, *args: Any, coalesce: float | None = None) -> None:
    """Send ``task(*args)`` to the workers once the current transaction commits
    (at once outside a transaction); nothing is sent if it rolls back."""
    transaction.on_commit(lambda: send_soon(task, *args, coalesce=coalesce))


def batch_seconds() -> float:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return 0.0
    return float(getattr(settings, "TASK_BATCH_SECONDS", 0.05))


_last_direct: dict[str, float] = {}


def send_soon(task: Any, *args: Any, coalesce: float | None = None) -> None:
    """Send ``task(*args)`` soon: for work that already runs after a commit."""
    if batch_seconds() <= 0:
        if coalesce is not None:
            now = time.monotonic()
            if now - _last_direct.get(task.name, -coalesce) < coalesce:
                return  # sent a moment ago; the periodic run catches the rest
            _last_direct[task.name] = now
        task.apply_async(args)
        return
    _sender().put((task, args, coalesce))


def flush(timeout: float = 5.0) -> bool:
    """Send this process's waiting calls now, coalesced ones included, and wait
    until they are sent (shutdown, tests); ``False`` if some are still waiting
    after ``timeout`` seconds."""
    sender = _current
    if sender is None or sender.pid != os.getpid():
        return True
    return sender.wait_idle(timeout)


_FLUSH = object()


class _Sender:
    """One daemon thread per process that sends the calls in batches."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.calls: queue.Queue[Any] = queue.Queue()
        self.unsent = 0  # calls put and not sent yet (coalesced ones included)
        self.state = threading.Condition()
        self.dropped = 0
        self.thread = threading.Thread(
            target=self._run, name="yorisou-deferred", daemon=True
        )
        self.thread.start()

    def put(self, call: _Call) -> None:
        with self.state:
            if self.unsent >= MAX_PENDING:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    logger.warning(
                        "deferred tasks: %d calls not sent (broker unreachable?)",
                        self.dropped,
                    )
                return
            self.unsent += 1
        self.calls.put(call)

    def wait_idle(self, timeout: float) -> bool:
        self.calls.put(_FLUSH)
        with self.state:
            return self.state.wait_for(lambda: self.unsent == 0, timeout)

    def _take(self, timeout: float | None) -> tuple[list[_Call], bool]:
        """The calls of one batch, and whether a flush was asked for."""
        items: list[Any] = []
        with suppress(queue.Empty):
            items.append(self.calls.get(timeout=timeout))
            if items[0] is not _FLUSH:
                # gather what comes in during the batch window
                deadline = time.monotonic() + (batch_seconds() or 0.05)
                while (left := deadline - time.monotonic()) > 0:
                    item = self.calls.get(timeout=left)
                    items.append(item)
                    if item is _FLUSH:
                        break
        with suppress(queue.Empty):
            while True:
                items.append(self.calls.get_nowait())
        calls = [item for item in items if item is not _FLUSH]
        return calls, len(calls) < len(items)

    def _run(self) -> None:
        waiting: dict[str, tuple[Any, float]] = {}  # coalesced: name -> (task, due)
        last_sent: dict[str, float] = {}
        while True:
            timeout = None
            if waiting:
                timeout = max(
                    0.0, min(due for _t, due in waiting.values()) - time.monotonic()
                )
            calls, flushing = self._take(timeout)
            now = time.monotonic()
            by_task: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            tasks: dict[str, Any] = {}
            done = 0
            for task, args, coalesce in calls:
                if coalesce is None:
                    by_task[task.name].append(args)
                    tasks[task.name] = task
                    done += 1
                elif task.name in waiting:
                    done += 1  # merged into the one waiting
                else:
                    due = max(now, last_sent.get(task.name, -coalesce) + coalesce)
                    waiting[task.name] = (task, due)
            for name, (task, due) in list(waiting.items()):
                if flushing or due <= now:
                    del waiting[name]
                    last_sent[name] = now
                    self._send_calls(task, [()])
                    done += 1
            for name, arg_lists in by_task.items():
                self._send_calls(tasks[name], arg_lists)
            with self.state:
                self.unsent -= done
                self.state.notify_all()

    def _send_calls(self, task: Any, arg_lists: list[tuple[Any, ...]]) -> None:
        if len(arg_lists) == 1:
            self._send(task.name, lambda: task.apply_async(arg_lists[0]))
        else:
            self._send(
                task.name,
                lambda: _run_many().apply_async(
                    (task.name, [list(a) for a in arg_lists])
                ),
            )

    def _send(self, name: str, send: Callable[[], Any]) -> None:
        for attempt in range(3):
            try:
                send()
                return
            except Exception:  # the broker is away: try again, then give up
                if attempt == 2:
                    logger.warning(
                        "deferred tasks: %s was not sent", name, exc_info=True
                    )
                    return
                time.sleep(0.2 * (attempt + 1))


def _run_many() -> Any:
    from yorisou.core import tasks

    return tasks.run_many


_current: _Sender | None = None
_lock = threading.Lock()


def _sender() -> _Sender:
    """This process's sender (a new one after a fork)."""
    global _current
    sender = _current
    if sender is not None and sender.pid == os.getpid():
        return sender
    with _lock:
        if _current is None or _current.pid != os.getpid():
            _current = _Sender()
        return _current
