"""Loss detection for Live119's live messages, and the resync of the pages.

Redis pub/sub (the production channel layer) delivers at most once: a process
whose subscription to Redis drops (Redis restarts, a network blip, ``CLIENT
KILL``) is silently subscribed again by redis-py, and what was published in
between never reaches its sockets. The database holds every state change, so a
page only has to be told to read the state again (docs/live119.md, "Delivery").
This module finds out when that is needed, cheaply:

- **Numbered messages.** Every message a process publishes to an incident carries
  the process's id (``src``) and a number that counts that process's messages
  to that incident (``seq``; ``events.apublish`` stamps it with :meth:`Sender.stamp`).
  A socket that receives a message records it (:meth:`DeliveryWatch.received`);
  a number skipped means a message was lost.
- **Heartbeats with claims.** Every ``LIVE119["HEARTBEAT_SECONDS"]`` (default 1)
  each process with Live119 sockets publishes a heartbeat on the group
  ``live119.heartbeat``: its id, the heartbeat's number ``n`` and the last
  ``seq`` of each incident it published to since its previous heartbeat (its
  *claims*). Every process listens. Two heartbeats later (``GRACE_BEATS``: time
  for its sockets to take the message from their queues) a claim for an incident
  with local sockets is checked against what they received: a message short is
  a loss — also the last message of a conversation, after which no number would
  come to show the gap. A process that publishes while none of its event loops
  beats (a Celery task, a web process with no Live119 socket) sends the
  heartbeat with its claim right after the message.
- **Heartbeats missed.** A heartbeat number skipped (that sender's claims were
  lost with it), or no heartbeat of its own heard back for ``STALL_BEATS``
  intervals (its subscription or Redis is down), resyncs every local incident —
  when it is noticed and again when its own heartbeats come back.

Resync: each socket of the incident (all of them for a full resync, spread over
one interval) sends its page the current ``state`` with ``"resync": true`` as it
answers ``hello``; the pages redraw it and skip the chat lines they already
show (their ids). Cost at 200 incidents on two processes: one small heartbeat
per process a second, two integers per message and a dict update per received
message — no database or Redis work unless something was lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from yorisou.emergency import events
from yorisou.emergency.constants import conf

logger = logging.getLogger(__name__)

Resync = Callable[[], Awaitable[None]]

GRACE_BEATS = 2  # a claim is checked this many intervals after it was heard
STALL_BEATS = 3  # own heartbeat not heard back for this many intervals: stalled
JOIN_BEATS = 3  # an incident joined this long ago has a record of every sender
FORGET_SECONDS = 3600.0  # a sender not heard of for an hour is forgotten


def heartbeat_seconds() -> float:
    """The heartbeat interval (``LIVE119["HEARTBEAT_SECONDS"]``, at least 50 ms);
    0 or less turns loss detection off."""
    value = float(conf("HEARTBEAT_SECONDS", 1.0))
    return max(0.05, value) if value > 0 else 0.0


class Sender:
    """What this process published: its id, a counter per incident, the claims
    of its next heartbeat. One per process (every thread and event loop)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.src = uuid.uuid4().hex[:12]
        self.lock = threading.Lock()
        self.seqs: dict[int, int] = {}
        self.claims: dict[int, int] = {}
        self.beats = 0
        self.beating = 0  # event loops of this process sending heartbeats now

    def stamp(self, incident_id: int) -> dict[str, Any]:
        """The ``src`` and ``seq`` of a message about to be published."""
        incident_id = int(incident_id)
        with self.lock:
            seq = self.seqs.get(incident_id, 0) + 1
            self.seqs[incident_id] = seq
            self.claims[incident_id] = seq
        return {"src": self.src, "seq": seq}

    def beat(self) -> dict[str, Any]:
        """The next heartbeat: its number and the claims gathered since the last
        (a list of ``[incident, seq]``: msgpack keeps only string keys)."""
        with self.lock:
            self.beats += 1
            claims, self.claims = self.claims, {}
            return {
                "src": self.src,
                "n": self.beats,
                "claims": [[incident, seq] for incident, seq in claims.items()],
            }


_sender: Sender | None = None
_sender_lock = threading.Lock()


def sender() -> Sender:
    """This process's sender (a new one after a fork: a new id)."""
    global _sender
    found = _sender
    if found is not None and found.pid == os.getpid():
        return found
    with _sender_lock:
        if _sender is None or _sender.pid != os.getpid():
            _sender = Sender()
        return _sender


class DeliveryWatch:
    """The Live119 sockets of one event loop, what they received, and the tasks
    that send and hear heartbeats while there are sockets."""

    def __init__(self, own: Sender | None = None) -> None:
        self.own = own or sender()
        self.sockets: dict[int, dict[int, Resync]] = {}
        self.joined: dict[int, float] = {}
        self.seen: dict[int, dict[str, int]] = {}
        self.claims: list[tuple[float, int, str, int]] = []  # due, incident, src, seq
        self.senders: dict[str, tuple[int, float]] = {}  # src -> (last n, heard at)
        self.started_at = 0.0
        self.heard_self_at = 0.0
        self.stalled = False
        self.resyncs = 0  # sockets told to resync (tests, logs)
        self.task: asyncio.Task[None] | None = None
        self.pending: set[asyncio.Task[None]] = set()

    # --- the sockets -------------------------------------------------------------

    def add(self, incident_id: int, key: int, resync: Resync) -> None:
        """Watch a socket (``key``) of ``incident_id``: ``resync()`` is awaited when
        a message to it may have been lost. Starts the heartbeat."""
        incident_id = int(incident_id)
        if incident_id not in self.sockets:
            self.joined[incident_id] = time.monotonic()
            self.seen[incident_id] = {}
        self.sockets.setdefault(incident_id, {})[key] = resync
        if heartbeat_seconds() and (self.task is None or self.task.done()):
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, incident_id: int, key: int) -> None:
        incident_id = int(incident_id)
        sockets = self.sockets.get(incident_id)
        if sockets is None:
            return
        sockets.pop(key, None)
        if not sockets:
            del self.sockets[incident_id]
            self.joined.pop(incident_id, None)
            self.seen.pop(incident_id, None)

    # --- what arrives ------------------------------------------------------------

    def received(self, incident_id: int, src: Any, seq: Any) -> bool:
        """A socket of ``incident_id`` took a message numbered ``seq`` by ``src``;
        ``True`` (and a resync of the incident) if a number was skipped."""
        seen = self.seen.get(int(incident_id))
        if seen is None or not isinstance(src, str) or not isinstance(seq, int):
            return False
        last = seen.get(src)
        seen[src] = seq if last is None else max(last, seq)
        if last is not None and seq > last + 1:
            logger.info(
                "Live119: incident %s missed messages %s-%s of %s",
                incident_id,
                last + 1,
                seq - 1,
                src,
            )
            self.resync([int(incident_id)])
            return True
        return False

    def heard(self, beat: dict[str, Any], now: float | None = None) -> None:
        """A heartbeat arrived (from any process, this one included)."""
        now = time.monotonic() if now is None else now
        src, n = beat.get("src"), beat.get("n")
        if not isinstance(src, str) or not isinstance(n, int):
            return
        previous = self.senders.get(src)
        self.senders[src] = (max(n, previous[0]) if previous else n, now)
        if src == self.own.src:
            self.heard_self_at = now
            if self.stalled:
                self.stalled = False
                logger.warning("Live119: heartbeats heard again; pages resync")
                self.resync(self.sockets, spread=True)
                return
        if previous is not None and n > previous[0] + 1:
            logger.warning(
                "Live119: heartbeats %s-%s of %s missed; pages resync",
                previous[0] + 1,
                n - 1,
                src,
            )
            self.resync(self.sockets, spread=True)
            return
        due = now + GRACE_BEATS * (heartbeat_seconds() or 1.0)
        for claim in beat.get("claims") or []:
            try:
                incident_id, seq = int(claim[0]), int(claim[1])
            except (TypeError, ValueError, IndexError):
                continue
            if incident_id in self.sockets:
                self.claims.append((due, incident_id, src, seq))

    def tick(self, now: float | None = None) -> set[int]:
        """Check the claims that are due and whether this loop's own heartbeats
        still come back; returns the incidents resynced."""
        now = time.monotonic() if now is None else now
        interval = heartbeat_seconds() or 1.0
        lost: set[int] = set()
        keep: list[tuple[float, int, str, int]] = []
        for claim in self.claims:
            due, incident_id, src, seq = claim
            if due > now:
                keep.append(claim)
                continue
            seen = self.seen.get(incident_id)
            if seen is None:
                continue  # no socket of the incident here any more
            last = seen.get(src)
            if last is None and now - self.joined.get(incident_id, now) < (
                JOIN_BEATS * interval
            ):
                seen[src] = seq  # published around the join: the state had it
                continue
            if last is None or last < seq:
                seen[src] = seq
                lost.add(incident_id)
        self.claims = keep
        if lost:
            logger.info("Live119: claimed messages missed for incidents %s", lost)
            self.resync(lost)
        since = self.heard_self_at or self.started_at
        if (
            self.started_at
            and not self.stalled
            and now - since > STALL_BEATS * interval
        ):
            self.stalled = True
            logger.warning(
                "Live119: own heartbeat not heard for %.1f s (Redis?); pages resync",
                now - since,
            )
            self.resync(self.sockets, spread=True)
            lost.update(self.sockets)
        for src, (_n, at) in list(self.senders.items()):
            if now - at > FORGET_SECONDS:
                del self.senders[src]
        return lost

    # --- resync --------------------------------------------------------------------

    def resync(self, incidents: Iterable[int], *, spread: bool = False) -> None:
        """Tell every local socket of ``incidents`` to send its page the state
        (spread over one interval when it is many, not all at once)."""
        loop = asyncio.get_running_loop()
        window = heartbeat_seconds() if spread else 0.0
        now = time.monotonic()
        for incident_id in list(incidents):
            if incident_id in self.sockets:
                # the state the pages read now has what came before: count anew
                self.seen[incident_id] = {}
                self.joined[incident_id] = now
            for resync in list(self.sockets.get(incident_id, {}).values()):
                self.resyncs += 1
                delay = random.uniform(0, window)  # noqa: S311 (a spread, no secret)
                task = loop.create_task(_later(resync, delay))
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)

    # --- the heartbeat ---------------------------------------------------------------

    async def _run(self) -> None:
        """Send heartbeats and hear them while this loop has sockets."""
        interval = heartbeat_seconds()
        channel = await events.alisten()
        listener = asyncio.get_running_loop().create_task(self._listen(channel))
        self.own.beating += 1
        self.started_at = time.monotonic()
        self.heard_self_at = 0.0
        self.stalled = False
        try:
            while self.sockets:
                await send_beat(self.own)
                await asyncio.sleep(interval)
                self.tick()
            await send_beat(self.own)  # the claims of the last messages
        finally:
            self.own.beating -= 1
            self.started_at = 0.0
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            try:
                await events.aunlisten(channel)
            except Exception:
                logger.warning("Live119: leaving the heartbeat group", exc_info=True)
        if self.sockets:  # a socket came while the last beat was sent
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _listen(self, channel: str) -> None:
        while True:
            try:
                beat = await events.areceive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Live119: receiving heartbeats failed")
                await asyncio.sleep(heartbeat_seconds() or 1.0)
                continue
            self.heard(beat)


async def _later(resync: Resync, delay: float) -> None:
    if delay:
        await asyncio.sleep(delay)
    try:
        await resync()
    except Exception:
        logger.exception("Live119: a page's resync failed")


async def send_beat(own: Sender) -> None:
    """Publish ``own``'s next heartbeat; a failure is logged (its number is
    spent: the listeners see the gap and resync)."""
    beat = own.beat()
    try:
        await events.abeat(beat)
    except Exception:
        logger.warning("Live119: heartbeat %s not sent", beat["n"], exc_info=True)


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DeliveryWatch] = (
    weakref.WeakKeyDictionary()
)


def watch() -> DeliveryWatch:
    """This loop's watch (one per event loop: each test runs its own loop)."""
    loop = asyncio.get_running_loop()
    found = _watches.get(loop)
    if found is None:
        found = _watches[loop] = DeliveryWatch()
    return found
