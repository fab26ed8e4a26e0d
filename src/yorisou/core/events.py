"""The core app's only door to the channel layer: the live audit feed.

A feed message costs a few Redis round trips. The request that committed the
event does not wait for them: with a channel layer that crosses processes
(Redis), each process hands its committed events to one background thread that
sends them in order on its own, long-lived event loop (one connection pool, no
new loop per message). Like every channel-layer message the feed is best effort:
the audit trail in the database is the record, the feed only shows it live; a
process that is killed may not send its last few messages, and past
``MAX_PENDING`` unsent messages (Redis unreachable) new ones are dropped with a
warning instead of filling the memory. The in-memory layer of the embedded demo
and the tests lives in the server's own event loop, so there the message is sent
at once, as before.
"""

import asyncio
import logging
import os
import queue
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

from yorisou.core.models import AuditEvent

AUDIT_FEED_GROUP = "core.audit-feed"
MAX_PENDING = 10_000

logger = logging.getLogger(__name__)


def _message(event: AuditEvent) -> dict[str, Any]:
    return {
        "type": "audit.event",
        "id": event.pk,
        "at": event.created_at.isoformat(),
        "actor": event.actor_repr,
        "action": event.action,
        "target": event.target_repr,
    }


def audit_event_published(event: AuditEvent) -> None:
    """Send a summary of a committed audit event to the admins watching the feed."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(AUDIT_FEED_GROUP, _message(event))
        return
    _publisher().put(layer, _message(event))


def flush(timeout: float = 5.0) -> bool:
    """Wait until this process has sent its pending feed messages (tests, shutdown);
    ``False`` if some are still pending after ``timeout`` seconds."""
    publisher = _current
    if publisher is None or publisher.pid != os.getpid():
        return True
    return publisher.wait_idle(timeout)


class _Publisher:
    """One daemon thread per process that sends feed messages in order."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.items: queue.Queue[tuple[BaseChannelLayer, dict[str, Any]]] = queue.Queue(
            maxsize=MAX_PENDING
        )
        self.dropped = 0
        self.thread = threading.Thread(
            target=self._run, name="yorisou-audit-feed", daemon=True
        )
        self.thread.start()

    def put(self, layer: BaseChannelLayer, message: dict[str, Any]) -> None:
        try:
            self.items.put_nowait((layer, message))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "audit feed: %d messages not sent (channel layer too slow)",
                    self.dropped,
                )

    def wait_idle(self, timeout: float) -> bool:
        done = threading.Event()

        def _join() -> None:
            self.items.join()
            done.set()

        threading.Thread(target=_join, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            layer, message = self.items.get()
            try:
                loop.run_until_complete(layer.group_send(AUDIT_FEED_GROUP, message))
            except Exception:  # keep the thread for the next message
                logger.warning("audit feed: a message was not sent", exc_info=True)
            finally:
                self.items.task_done()


_current: _Publisher | None = None
_lock = threading.Lock()


def _publisher() -> _Publisher:
    """This process's publisher (a new one after a fork)."""
    global _current
    publisher = _current
    if publisher is not None and publisher.pid == os.getpid():
        return publisher
    with _lock:
        if _current is None or _current.pid != os.getpid():
            _current = _Publisher()
        return _current
