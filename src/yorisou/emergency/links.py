"""The callers' links of this web process, read again together.

A caller's socket checks its link (invite) when it connects; the ``ended`` event
(the incident closed, the live part ended, this link withdrawn) stops it at once.
In case a change never reaches the socket as an event, this watch reads every
connected link of the process again every ``CALLER_RECHECK_SECONDS`` (default 5)
in one query (``selectors.invites_refused``) and refuses the sockets of those
that may send no more — instead of a SELECT of the invite for every position
and chat message. So at most that interval plus one read passes between such a
silent change and the refusal (docs/live119.md, "Persistence and the caller's
link").
"""

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

from yorisou.emergency import selectors
from yorisou.emergency.constants import conf

logger = logging.getLogger(__name__)

Refuse = Callable[[str], Awaitable[None]]


def recheck_seconds() -> float:
    """How long a caller's link, once read, is trusted (at least 50 ms)."""
    return max(0.05, float(conf("CALLER_RECHECK_SECONDS", 5)))


class LinkWatch:
    """The connected callers' links of one process and the task re-reading them."""

    def __init__(self) -> None:
        self.sockets: dict[int, dict[int, Refuse]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, invite_id: int, key: int, refuse: Refuse) -> None:
        """Watch ``invite_id`` for a socket (``key``): ``refuse(code)`` is awaited
        once the link may send no more."""
        self.sockets.setdefault(int(invite_id), {})[key] = refuse
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, invite_id: int, key: int) -> None:
        sockets = self.sockets.get(int(invite_id))
        if sockets is not None:
            sockets.pop(key, None)
            if not sockets:
                del self.sockets[int(invite_id)]

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(recheck_seconds())
            await self.check()

    async def check(self) -> int:
        """Read every watched link now; returns how many sockets were refused."""
        ids = sorted(self.sockets)
        if not ids:
            return 0
        try:
            refused: dict[int, str] = await database_sync_to_async(
                selectors.invites_refused
            )(invite_ids=ids)
        except Exception:  # the next round tries again
            logger.exception("Live119: reading the callers' links failed")
            return 0
        count = 0
        for invite_id, code in refused.items():
            for refuse in list(self.sockets.pop(invite_id, {}).values()):
                count += 1
                await refuse(code)
        return count


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LinkWatch]" = (
    weakref.WeakKeyDictionary()
)


def watch() -> LinkWatch:
    """This process's watch (one per event loop: each test runs its own loop)."""
    loop = asyncio.get_running_loop()
    found = _watches.get(loop)
    if found is None:
        found = _watches[loop] = LinkWatch()
    return found
