"""The aiortc media hub with real peers on loopback (host candidates, no STUN).

Each test runs one event loop with ``asyncio.run``: a caller bot publishing
synthetic video, the hub, and viewer bots that decode what the hub sends.
"""

import asyncio
import itertools
import threading
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from aiortc import AudioStreamTrack, RTCPeerConnection

from yorisou.emergency.media import (
    PUBLISHER,
    MediaError,
    SessionDescription,
    get_backend,
    media_backends,
)
from yorisou.emergency.media.hub import HubBackend, rtc_configuration
from yorisou.emergency.media.testing import (
    SyntheticVideoTrack,
    ViewerBot,
    caller_publish,
)

T = TypeVar("T")
INCIDENT = 7


def run(coro: Awaitable[T], timeout: float = 10.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def increasing(values: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


async def other_tasks() -> set[asyncio.Task]:
    """Tasks still alive besides the test's own, after a short grace period."""
    for _ in range(20):
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        if not tasks:
            break
        await asyncio.sleep(0.05)
    return asyncio.all_tasks() - {asyncio.current_task()}


def test_hub_is_the_registered_default_backend(settings):
    settings.LIVE119 = {**settings.LIVE119, "MEDIA_BACKEND": "hub"}

    assert media_backends.get("hub") is HubBackend
    assert isinstance(get_backend(), HubBackend)
    assert get_backend() is get_backend()


def test_ice_servers_become_an_rtc_configuration():
    config = rtc_configuration(
        [
            {"urls": "stun:stun.example.jp:3478"},
            {
                "urls": ["turn:turn.example.jp:3478", "turns:turn.example.jp:5349"],
                "username": "1700000000:incident-7",
                "credential": "c2VjcmV0",
            },
        ]
    )

    assert config.iceServers is not None
    assert [s.urls for s in config.iceServers] == [
        ["stun:stun.example.jp:3478"],
        ["turn:turn.example.jp:3478", "turns:turn.example.jp:5349"],
    ]
    assert config.iceServers[1].username == "1700000000:incident-7"
    assert config.iceServers[1].credential == "c2VjcmV0"
    assert rtc_configuration(None).iceServers == []


def test_two_viewers_receive_decoded_frames_with_increasing_pts():
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        viewers = [ViewerBot("dispatcher-1"), ViewerBot("unit-1")]
        for viewer in viewers:
            await viewer.connect(hub, INCIDENT)

        received = [await viewer.wait_frames(30, timeout=5) for viewer in viewers]
        stats = await hub.stats(INCIDENT)

        for viewer in viewers:
            await viewer.close()
        await caller.close()
        await hub.shutdown()
        return received, viewers, stats

    received, viewers, stats = run(scenario())

    assert received == [True, True]
    for viewer in viewers:
        assert increasing([pts for _, pts in viewer.frames])
        assert viewer.sizes == {(320, 240)}
    assert stats["publisher_connected"] is True
    assert stats["viewers"] == ["dispatcher-1", "unit-1"]
    assert stats["frames_received"] >= 30
    assert stats["last_frame_at"] is not None
    assert stats["recording"] is False


def test_late_viewer_gets_frames_at_once():
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        early = ViewerBot("early")
        await early.connect(hub, INCIDENT)
        assert await early.wait_frames(45, timeout=5)  # the call runs ~1.5 s

        late = ViewerBot("late")
        started = asyncio.get_running_loop().time()
        await late.connect(hub, INCIDENT)
        await asyncio.wait_for(late.first_frame.wait(), 3)
        waited = asyncio.get_running_loop().time() - started
        got_more = await late.wait_frames(15, timeout=3)

        for peer in (early, late):
            await peer.close()
        await caller.close()
        await hub.shutdown()
        return waited, got_more

    waited, got_more = run(scenario())

    # Connecting on loopback plus one frame; not a wait for the next keyframe
    # of the caller (each viewer has its own encoder, its first frame is a key).
    assert waited < 1.0
    assert got_more


def test_viewer_that_subscribes_before_the_caller_gets_frames_when_they_come():
    async def scenario():
        hub = HubBackend()
        viewer = ViewerBot("dispatcher")
        await viewer.connect(hub, INCIDENT)
        await asyncio.sleep(0.3)
        before = len(viewer.frames)
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        got = await viewer.wait_frames(20, timeout=5)
        await viewer.close()
        await caller.close()
        await hub.shutdown()
        return before, got

    before, got = run(scenario())

    assert before == 0
    assert got


def test_publisher_reconnect_keeps_viewers_connected():
    async def scenario():
        hub = HubBackend()
        first = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        viewer = ViewerBot("dispatcher")
        await viewer.connect(hub, INCIDENT)
        assert await viewer.wait_frames(15, timeout=5)
        viewer_pc = viewer.pc

        # The phone reloads the page: a new connection with a smaller picture.
        second = await caller_publish(hub, INCIDENT, SyntheticVideoTrack(160, 120))
        await asyncio.sleep(0.1)
        first_state = first.connectionState
        switched = False
        for _ in range(100):
            if (160, 120) in viewer.sizes:
                switched = True
                break
            await asyncio.sleep(0.05)
        more = await viewer.wait_frames(15, timeout=5)
        state = viewer.pc.connectionState
        stats = await hub.stats(INCIDENT)

        await viewer.close()
        await first.close()
        await second.close()
        await hub.shutdown()
        return viewer, viewer_pc, first_state, switched, more, state, stats

    viewer, viewer_pc, first_state, switched, more, state, stats = run(scenario())

    assert viewer.pc is viewer_pc
    assert state == "connected"
    assert switched
    assert more
    assert increasing([pts for _, pts in viewer.frames])
    assert stats["publisher_connected"] is True
    assert stats["viewers"] == ["dispatcher"]
    assert first_state in {"closed", "failed", "disconnected", "connected"}


def test_audio_is_relayed_when_the_caller_sends_it():
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(
            hub, INCIDENT, SyntheticVideoTrack(), AudioStreamTrack()
        )
        viewer = ViewerBot("dispatcher", audio=True)
        await viewer.connect(hub, INCIDENT)
        assert await viewer.wait_frames(10, timeout=5)
        await asyncio.sleep(0.5)
        audio_frames = viewer.audio_frames
        await viewer.close()
        await caller.close()
        await hub.shutdown()
        return audio_frames

    # 20 ms audio frames: at least half a second's worth arrived.
    assert run(scenario()) >= 25


def test_candidates_that_come_before_the_offer_is_answered_are_kept():
    async def scenario():
        hub = HubBackend()
        # The browser trickles its candidates while the offer is in flight.
        await hub.add_ice_candidate(
            INCIDENT,
            PUBLISHER,
            {
                "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            },
        )
        await hub.add_ice_candidate(INCIDENT, PUBLISHER, {"candidate": ""})
        pending = len(hub._incidents[INCIDENT].pending[PUBLISHER])
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        left = hub._incidents[INCIDENT].pending.get(PUBLISHER)
        viewer = ViewerBot("dispatcher")
        await viewer.connect(hub, INCIDENT)
        got = await viewer.wait_frames(5, timeout=5)
        with pytest.raises(MediaError):
            await hub.add_ice_candidate(
                INCIDENT,
                "dispatcher",
                {"candidate": "candidate:garbage", "sdpMid": "0"},
            )
        await viewer.close()
        await caller.close()
        await hub.shutdown()
        return pending, left, got

    pending, left, got = run(scenario())

    assert pending == 2
    assert left is None
    assert got


def test_late_candidates_of_a_replaced_connection_are_ignored():
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        # Not parsed at all: its ufrag belongs to no offer this hub answered.
        await hub.add_ice_candidate(
            INCIDENT,
            PUBLISHER,
            {"candidate": "candidate:bad", "sdpMid": "0", "usernameFragment": "old1"},
        )
        await caller.close()
        await hub.shutdown()

    run(scenario())


def test_calls_after_close_do_not_revive_the_incident():
    async def scenario():
        hub = HubBackend()
        incident = hub._incident(INCIDENT)
        await hub.close(INCIDENT)
        with pytest.raises(MediaError):
            incident.check_open()
        await hub.add_ice_candidate(INCIDENT, PUBLISHER, {"candidate": ""})
        stats = await hub.stats(INCIDENT)
        await hub.shutdown()
        return stats

    assert run(scenario())["viewers"] == []


def test_offers_that_carry_no_media_are_refused():
    async def scenario():
        hub = HubBackend()
        pc = RTCPeerConnection()
        pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        offer = SessionDescription(sdp=pc.localDescription.sdp, type="offer")
        errors = []
        for call in (
            hub.publish(INCIDENT, offer),
            hub.subscribe(INCIDENT, "v", offer),
            hub.publish(INCIDENT, SessionDescription(sdp="v=0\r\n", type="offer")),
            hub.subscribe(INCIDENT, PUBLISHER, offer),
        ):
            try:
                await call
            except MediaError as exc:
                errors.append(str(exc))
        await pc.close()
        stats = await hub.stats(INCIDENT)
        await hub.shutdown()
        return errors, stats

    errors, stats = run(scenario())

    assert len(errors) == 4
    assert stats["viewers"] == []
    assert stats["publisher_connected"] is False


def test_close_leaves_no_task_or_thread_behind(tmp_path):
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(
            hub, INCIDENT, SyntheticVideoTrack(), AudioStreamTrack()
        )
        viewers = [ViewerBot("a", audio=True), ViewerBot("b")]
        for viewer in viewers:
            await viewer.connect(hub, INCIDENT)
        await hub.start_recording(INCIDENT, tmp_path / "call.mp4")
        assert await viewers[0].wait_frames(15, timeout=5)

        await hub.close(INCIDENT)
        stats = await hub.stats(INCIDENT)
        for viewer in viewers:
            await viewer.close()
        await caller.close()
        return stats, await other_tasks()

    stats, tasks = run(scenario())

    assert stats["viewers"] == []
    assert stats["recording"] is False
    assert tasks == set()
    assert not [t for t in threading.enumerate() if t.name.startswith("live119-")]
    assert (tmp_path / "call.mp4").stat().st_size > 0


def test_unsubscribe_and_unpublish_keep_the_incident_usable():
    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        viewer = ViewerBot("a")
        await viewer.connect(hub, INCIDENT)
        assert await viewer.wait_frames(5, timeout=5)

        await hub.unsubscribe(INCIDENT, "a")
        await hub.unpublish(INCIDENT)
        after = await hub.stats(INCIDENT)
        await viewer.close()
        await caller.close()

        caller = await caller_publish(hub, INCIDENT, SyntheticVideoTrack())
        viewer = ViewerBot("a")
        await viewer.connect(hub, INCIDENT)
        again = await viewer.wait_frames(5, timeout=5)
        await viewer.close()
        await caller.close()
        await hub.shutdown()
        return after, again

    after, again = run(scenario())

    assert after["viewers"] == []
    assert after["publisher_connected"] is False
    assert again
