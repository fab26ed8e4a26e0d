"""The callers' positions of this web process, stored in batches.

A caller's phone sends a position about every second. The caller's socket checks
it (``services.caller_position``, no database), publishes it at once and hands it
here; the buffer stores what has gathered every ``POSITION_FLUSH_SECONDS``
(default 0.25) with one ``bulk_create`` in one database call
(``services.positions_store``). So the delivery of a position does not wait for
PostgreSQL, and the process makes four small INSERTs a second instead of one per
position.

What this costs (docs/live119.md, "Persistence"): a position is in the database
up to ``POSITION_FLUSH_SECONDS`` (plus the time of the INSERT) after the browsers
had it; a process that is killed loses the positions of that window (a clean stop
closes the sockets, and a caller's socket that closes flushes the buffer).
A failed INSERT is logged and retried at the next flush; beyond ``MAX_PENDING``
positions waiting the oldest are dropped (logged) rather than filling memory.
Chat and every state change are still stored before anyone sees them.
"""

import asyncio
import contextlib
import logging
import weakref

from channels.db import database_sync_to_async

from yorisou.emergency import services
from yorisou.emergency.constants import conf
from yorisou.emergency.models import LocationFix

logger = logging.getLogger(__name__)

MAX_PENDING = 50_000


def flush_seconds() -> float:
    return float(conf("POSITION_FLUSH_SECONDS", 0.25))


class PositionBuffer:
    """Positions waiting to be stored, and the task that stores them."""

    def __init__(self) -> None:
        self.pending: list[LocationFix] = []
        self.task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.stored = 0

    def add(self, fix: LocationFix) -> None:
        """Keep ``fix`` to be stored within ``POSITION_FLUSH_SECONDS``."""
        self.pending.append(fix)
        if len(self.pending) > MAX_PENDING:
            dropped = len(self.pending) - MAX_PENDING
            del self.pending[:dropped]
            logger.error("Live119: %s positions dropped (database behind)", dropped)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        while self.pending:
            await asyncio.sleep(flush_seconds())
            await self.flush()

    async def flush(self) -> int:
        """Store what is waiting now (one INSERT); returns how many."""
        async with self.lock:
            batch, self.pending = self.pending, []
            if not batch:
                return 0
            try:
                count: int = await database_sync_to_async(services.positions_store)(
                    batch
                )
            except Exception:
                logger.exception("Live119: storing %s positions failed", len(batch))
                # keep them for the next flush, before what came meanwhile
                self.pending[:0] = [_unsaved(fix) for fix in batch]
                return 0
            self.stored += count
            return count

    async def close(self) -> None:
        """Store what is waiting and stop the timer (tests, shutdown)."""
        await self.flush()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None


def _unsaved(fix: LocationFix) -> LocationFix:
    fix.pk = None
    fix._state.adding = True
    return fix


_buffers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PositionBuffer]" = (
    weakref.WeakKeyDictionary()
)


def buffer() -> PositionBuffer:
    """This process's buffer (one per event loop: each test runs its own loop)."""
    loop = asyncio.get_running_loop()
    found = _buffers.get(loop)
    if found is None:
        found = _buffers[loop] = PositionBuffer()
    return found
