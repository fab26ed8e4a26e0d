"""Loss detection of Live119's live messages (``emergency.delivery``).

The watch's bookkeeping is driven by hand with explicit times (heartbeats off, so
no task runs); then the consumers' wiring on the in-memory layer: a number
skipped on the incident's group and the console's page gets the state again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from yorisou.emergency.delivery import (
    GRACE_BEATS,
    JOIN_BEATS,
    STALL_BEATS,
    DeliveryWatch,
    Sender,
)

A, B = "sender-a", "sender-b"


@pytest.fixture
def beats_off(settings: Any) -> None:
    settings.LIVE119 = {**settings.LIVE119, "HEARTBEAT_SECONDS": 0}


def _sockets(watch: DeliveryWatch, incident_id: int, count: int = 1) -> list[int]:
    """``count`` sockets of the incident; the list counts their resyncs."""
    told: list[int] = []

    def make(key: int) -> Callable[[], Awaitable[None]]:
        async def resync() -> None:
            told.append(key)

        return resync

    for key in range(count):
        watch.add(incident_id, key, make(key))
    return told


async def _settle(watch: DeliveryWatch) -> None:
    await asyncio.gather(*watch.pending)


def _run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


def test_the_sender_numbers_each_incident_and_claims_since_the_last_beat() -> None:
    own = Sender()

    assert own.stamp(7) == {"src": own.src, "seq": 1}
    assert own.stamp(7) == {"src": own.src, "seq": 2}
    assert own.stamp(8) == {"src": own.src, "seq": 1}
    assert own.beat() == {"src": own.src, "n": 1, "claims": [[7, 2], [8, 1]]}
    assert own.beat() == {"src": own.src, "n": 2, "claims": []}
    assert own.stamp(7)["seq"] == 3


@pytest.mark.usefixtures("beats_off")
def test_a_healthy_stream_resyncs_nobody() -> None:
    async def scenario() -> tuple[list[int], set[int]]:
        watch = DeliveryWatch(Sender())
        told = _sockets(watch, 7, count=3)
        now = 100.0
        lost: set[int] = set()
        for n in range(1, 6):
            for seq in (2 * n - 1, 2 * n):
                # every socket of the process takes every message
                for _socket in range(3):
                    watch.received(7, A, seq)
            watch.heard({"src": A, "n": n, "claims": [[7, 2 * n]]}, now)
            now += 1.0
            lost |= watch.tick(now)
        lost |= watch.tick(now + 10)
        await _settle(watch)
        return told, lost

    told, lost = _run(scenario)

    assert told == []
    assert lost == set()


@pytest.mark.usefixtures("beats_off")
def test_a_skipped_number_resyncs_the_incidents_sockets_only() -> None:
    async def scenario() -> tuple[list[int], list[int], bool]:
        watch = DeliveryWatch(Sender())
        told = _sockets(watch, 7, count=2)
        other = _sockets(watch, 8)
        watch.received(7, A, 1)
        watch.received(8, A, 1)
        skipped = watch.received(7, A, 3)
        await _settle(watch)
        return told, other, skipped

    told, other, skipped = _run(scenario)

    assert skipped is True
    assert sorted(told) == [0, 1]
    assert other == []


@pytest.mark.usefixtures("beats_off")
def test_a_lost_last_message_is_found_by_the_claim_once_it_is_due() -> None:
    async def scenario() -> dict[str, Any]:
        watch = DeliveryWatch(Sender())
        told = _sockets(watch, 7)
        watch.joined[7] = 0.0
        watch.received(7, A, 1)
        # message 2 (the last chat line) never came; the heartbeat claims it
        watch.heard({"src": A, "n": 1, "claims": [[7, 2]]}, 100.0)
        early = watch.tick(100.0 + GRACE_BEATS - 0.5)
        due = watch.tick(100.0 + GRACE_BEATS + 0.1)
        again = watch.tick(100.0 + GRACE_BEATS + 5)
        await _settle(watch)
        return {"early": early, "due": due, "again": again, "told": told}

    result = _run(scenario)

    assert result["early"] == set()
    assert result["due"] == {7}
    assert result["again"] == set()
    assert result["told"] == [0]


@pytest.mark.usefixtures("beats_off")
def test_a_claim_from_around_the_join_sets_the_baseline() -> None:
    async def scenario() -> dict[str, Any]:
        watch = DeliveryWatch(Sender())
        told = _sockets(watch, 7)
        joined = watch.joined[7]
        # B published to incident 7 just before this process joined it: the page's
        # hello reads it from the database
        watch.heard({"src": B, "n": 4, "claims": [[7, 5]]}, joined)
        near = watch.tick(joined + GRACE_BEATS + 0.1)
        # long after the join, a claim of a sender never heard on the incident
        watch.heard({"src": A, "n": 1, "claims": [[7, 1]]}, joined + JOIN_BEATS)
        far = watch.tick(joined + JOIN_BEATS + GRACE_BEATS + 0.1)
        await _settle(watch)
        return {"near": near, "far": far, "told": told, "seen": dict(watch.seen[7])}

    result = _run(scenario)

    assert result["near"] == set()
    assert result["far"] == {7}
    assert result["told"] == [0]
    # the resync starts counting anew: the state the page read has it all
    assert result["seen"] == {}


@pytest.mark.usefixtures("beats_off")
def test_a_missed_heartbeat_resyncs_every_incident() -> None:
    async def scenario() -> dict[str, Any]:
        watch = DeliveryWatch(Sender())
        seven = _sockets(watch, 7, count=2)
        eight = _sockets(watch, 8)
        watch.heard({"src": A, "n": 1, "claims": []}, 10.0)
        watch.heard({"src": A, "n": 2, "claims": []}, 11.0)
        healthy = len(seven) + len(eight)
        watch.heard({"src": A, "n": 4, "claims": []}, 13.0)  # 3 is missing
        await _settle(watch)
        return {"healthy": healthy, "seven": seven, "eight": eight}

    result = _run(scenario)

    assert result["healthy"] == 0
    assert sorted(result["seven"]) == [0, 1]
    assert result["eight"] == [0]


@pytest.mark.usefixtures("beats_off")
def test_own_heartbeats_not_heard_back_resync_when_stalled_and_again_after() -> None:
    async def scenario() -> dict[str, Any]:
        own = Sender()
        watch = DeliveryWatch(own)
        told = _sockets(watch, 7)
        watch.started_at = 50.0
        watch.heard({"src": own.src, "n": 1, "claims": []}, 50.1)
        fine = watch.tick(50.1 + STALL_BEATS - 0.5)
        await _settle(watch)
        before = len(told)
        stalled = watch.tick(50.1 + STALL_BEATS + 0.5)
        still = watch.tick(50.1 + STALL_BEATS + 5)  # told once, not every tick
        await _settle(watch)
        at_stall = len(told)
        # the subscription is back (redis-py subscribed again): what was published
        # meanwhile is lost, so the pages read the state once more
        watch.heard({"src": own.src, "n": 2, "claims": []}, 60.0)
        await _settle(watch)
        return {
            "fine": fine,
            "before": before,
            "stalled": stalled,
            "still": still,
            "at_stall": at_stall,
            "after": len(told),
            "flag": watch.stalled,
        }

    result = _run(scenario)

    assert result["fine"] == set()
    assert result["before"] == 0
    assert result["stalled"] == {7}
    assert result["still"] == set()
    assert result["at_stall"] == 1
    assert result["after"] == 2
    assert result["flag"] is False


@pytest.mark.usefixtures("beats_off")
def test_a_socket_that_left_is_not_resynced_and_its_record_is_dropped() -> None:
    async def scenario() -> tuple[list[int], bool]:
        watch = DeliveryWatch(Sender())
        told = _sockets(watch, 7)
        watch.received(7, A, 1)
        watch.discard(7, 0)
        skipped = watch.received(7, A, 5)
        watch.heard({"src": A, "n": 1, "claims": [[7, 9]]}, 1.0)
        watch.tick(100.0)
        await _settle(watch)
        return told, skipped

    told, skipped = _run(scenario)

    assert told == []
    assert skipped is False


# --- the consumers on the in-memory layer ------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live119_settings", "fresh_process_state")
def test_a_skipped_number_sends_the_console_the_state_again(
    dispatcher: Any, incident: Any
) -> None:
    from channels.layers import get_channel_layer

    from yorisou.emergency import events
    from yorisou.emergency.tests.test_signalling import (
        Socket,
        incident_path,
        run,
        session_cookie,
    )

    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        first = await console.hello()
        layer = get_channel_layer()
        for seq in (1, 3):  # 2 was lost on the way
            await layer.group_send(
                events.group_name(incident.pk),
                {
                    "type": events.EVENT_TYPE,
                    "message": {"type": "presence", "caller_connected": False},
                    "exclude": "",
                    "src": "elsewhere",
                    "seq": seq,
                },
            )
        again = await console.expect("state", resync=True)
        await console.disconnect()
        return {"first": first, "again": again}

    result = run(scenario)

    assert "resync" not in result["first"]
    assert result["again"]["incident"]["id"] == incident.pk
    assert result["again"]["state"] == "open"


@pytest.fixture
def fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.layers import channel_layers

    from yorisou.emergency import media

    monkeypatch.setattr(media, "_instances", {})
    monkeypatch.setattr(channel_layers, "backends", {})
