"""Live119 signalling end to end: real consumers behind ``yorisou.asgi``, the hub,
and aiortc bots (a caller publishing synthetic video, a dispatcher's viewer).

Each test makes its rows first (sync fixtures), then runs one event loop with
``asyncio.run``: the sockets are ``WebsocketCommunicator`` on the whole ASGI
application (origin check, session authentication, routing), the staff signed in
with a session cookie. The database is shared with the consumers' threads
(``transaction=True``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator

from yorisou.emergency import media, selectors, services
from yorisou.emergency.media import get_backend
from yorisou.emergency.media.testing import SyntheticVideoTrack, ViewerBot
from yorisou.emergency.models import (
    ChatMessage,
    GuidanceVideo,
    Incident,
    Invite,
    LocationFix,
    Recording,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("live119_settings", "fresh_process_state"),
]

T = TypeVar("T")
ORIGIN = b"http://localhost"
WAIT = 10.0  # seconds for one expected message (a loaded 2-core machine)


@pytest.fixture
def fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new hub and a new in-memory channel layer for each test's event loop
    (both hold asyncio objects bound to the loop that first used them)."""
    from channels.layers import channel_layers

    monkeypatch.setattr(media, "_instances", {})
    monkeypatch.setattr(channel_layers, "backends", {})
    yield


def run(scenario: Callable[[], Awaitable[T]], timeout: float = 15.0) -> T:
    """Run one scenario in its own loop; the hub is shut down whatever happens."""

    async def bounded() -> T:
        try:
            return await asyncio.wait_for(scenario(), timeout)
        finally:
            await get_backend().shutdown()

    return asyncio.run(bounded())


def application() -> Any:
    from yorisou.asgi import application as app

    return app


def session_cookie(user: Any) -> str:
    """Sign ``user`` in (sync, before the loop) and return the session id."""
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


class Communicator(ApplicationCommunicator):
    """``channels.testing.WebsocketCommunicator`` reduced to what these tests use
    (importing ``channels.testing`` needs daphne, which is not installed)."""

    def __init__(self, app: Any, path: str, headers: list[tuple[bytes, bytes]]):
        super().__init__(
            app,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("localhost", 80),
            },
        )

    async def connect(self, timeout: float) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, None

    async def send_json_to(self, data: dict[str, Any]) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def disconnect(self, code: int = 1000, timeout: float = WAIT) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


class Socket:
    """A protocol client on a ``WebsocketCommunicator``: keeps every message it
    read, waits for one of a type, and records how the server closed it."""

    def __init__(self, path: str, *, session: str = "") -> None:
        headers = [(b"origin", ORIGIN), (b"host", b"localhost")]
        if session:
            headers.append((b"cookie", f"sessionid={session}".encode()))
        self.communicator = Communicator(application(), path, headers)
        self.received: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self._read = 0

    async def connect(self) -> tuple[bool, int | None]:
        connected, code = await self.communicator.connect(timeout=WAIT)
        if not connected:
            self.close_code = int(code) if code is not None else None
        return bool(connected), code if not connected else None

    async def send(self, message: dict[str, Any]) -> None:
        await self.communicator.send_json_to(message)

    async def _next(self, timeout: float) -> dict[str, Any] | None:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code", 1000)
            return None
        message = dict(json.loads(output["text"]))
        self.received.append(message)
        return message

    async def expect(
        self, kind: str, timeout: float = WAIT, **fields: Any
    ) -> dict[str, Any]:
        """The next message of ``kind`` (whose ``fields`` match), skipping others;
        a message already read counts if it was not returned before."""
        for index in range(self._read, len(self.received)):
            message = self.received[index]
            if _matches(message, kind, fields):
                self.received.pop(index)
                self.received.insert(self._read, message)
                self._read += 1
                return message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.close_code is not None:
                raise AssertionError(
                    f"no {kind!r} {fields} (closed: {self.close_code}); "
                    f"got {[m.get('type') for m in self.received]}"
                )
            arrived = await self._next(left)
            if arrived is not None and _matches(arrived, kind, fields):
                self.received.pop()
                self.received.insert(self._read, arrived)
                self._read += 1
                return arrived

    async def expect_close(self, timeout: float = WAIT) -> int:
        deadline = time.monotonic() + timeout
        while self.close_code is None:
            left = deadline - time.monotonic()
            assert left > 0, f"not closed; got {[m.get('type') for m in self.received]}"
            await self._next(left)
        return self.close_code

    async def hello(self) -> dict[str, Any]:
        await self.send({"type": "hello"})
        return await self.expect("state")

    async def disconnect(self) -> None:
        # As a server does after either side closed: the application hears
        # ``websocket.disconnect`` and ends.
        await self.communicator.disconnect(self.close_code or 1000)


def _matches(message: dict[str, Any], kind: str, fields: dict[str, Any]) -> bool:
    return message.get("type") == kind and all(
        message.get(k) == v for k, v in fields.items()
    )


def caller_path(token: str) -> str:
    return f"/ws/live119/caller/{token}/"


def incident_path(incident: Incident) -> str:
    return f"/ws/live119/incidents/{incident.pk}/"


class CallerBot:
    """The caller's phone: its socket and a peer publishing synthetic video."""

    def __init__(self, token: str) -> None:
        self.socket = Socket(caller_path(token))
        self.track = SyntheticVideoTrack()
        self.pc = RTCPeerConnection()

    async def publish(self) -> None:
        self.pc.addTransceiver(self.track, direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.socket.send({"type": "offer", "sdp": self.pc.localDescription.sdp})
        answer = await self.socket.expect("answer")
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type="answer")
        )

    async def close(self) -> None:
        await self.pc.close()
        await self.socket.disconnect()


class ViewerSocketBot(ViewerBot):
    """A console's receive-only peer, negotiated through its socket."""

    async def subscribe(self, socket: Socket) -> None:
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.on("track", self._on_track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await socket.send({"type": "offer", "sdp": self.pc.localDescription.sdp})
        answer = await socket.expect("answer")
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type="answer")
        )


async def db(function: Callable[[], T]) -> T:
    """Read the database from the loop (in a thread, as the consumers do)."""
    return await sync_to_async(function, thread_sensitive=True)()


@pytest.fixture
def guidance_video(dispatcher: Any, sample_mp4: bytes) -> GuidanceVideo:
    return services.guidance_upload(
        actor=dispatcher,
        file=SimpleUploadedFile("cpr.mp4", sample_mp4, content_type="video/mp4"),
        title_ja="心肺蘇生",
        title_en="CPR",
    )


# --- 1. a whole call ---------------------------------------------------------------


def test_call_video_position_chat_and_guidance_reach_the_other_side(
    dispatcher: Any, incident: Incident, sent_invite: Invite, guidance_video: Any
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = CallerBot(token)
        assert (await caller.socket.connect())[0]
        state = await caller.socket.hello()
        assert state["incident"]["id"] == incident.pk
        assert "caller_phone" not in state["incident"]  # the caller's reduced view
        await caller.publish()

        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        staff_state = await console.hello()
        assert staff_state["incident"]["caller_phone"]
        viewer = ViewerSocketBot("console")
        await viewer.subscribe(console)
        frames = await viewer.wait_frames(10, timeout=WAIT)

        await caller.socket.send(
            {
                "type": "position",
                "lat": 32.8031,
                "lng": 130.7079,
                "accuracy": 12,
                "heading": 90,
                "speed": 0,
                "at": 1_760_000_000_000,
            }
        )
        position = await console.expect("position")
        # positions are published at once and stored in the next batch
        await _until(lambda: LocationFix.objects.filter(incident=incident).exists())
        stored_fix = await db(
            lambda: LocationFix.objects.filter(incident=incident).exists()
        )
        await caller.socket.send({"type": "chat", "text": "父が倒れました"})
        caller_chat = await console.expect("chat", sender="caller")
        stored_chat = await db(
            lambda: list(ChatMessage.objects.values_list("sender", "text"))
        )

        await console.send({"type": "chat", "text": "すぐ向かいます"})
        dispatcher_chat = await caller.socket.expect("chat", sender="dispatcher")

        await console.send({"type": "guidance", "video": guidance_video.pk})
        caller_guidance = await caller.socket.expect("guidance")
        staff_guidance = await console.expect("guidance")
        stats = await get_backend().stats(incident.pk)

        await viewer.close()
        await console.disconnect()
        await caller.close()
        return {
            "frames": frames,
            "position": position,
            "stored_fix": stored_fix,
            "caller_chat": caller_chat,
            "stored_chat": stored_chat,
            "dispatcher_chat": dispatcher_chat,
            "caller_guidance": caller_guidance,
            "staff_guidance": staff_guidance,
            "stats": stats,
            "sent": caller.track.sent,
        }

    result = run(scenario)

    assert result["frames"], f"no frames at the console (sent {result['sent']})"
    assert result["stats"]["publisher_connected"] is True
    assert result["stats"]["frames_received"] >= 10
    assert result["position"]["lat"] == pytest.approx(32.8031)
    assert result["position"]["accuracy"] == 12
    assert result["position"]["at"] == 1_760_000_000_000
    assert result["stored_fix"] is True
    assert result["caller_chat"]["text"] == "父が倒れました"
    assert ("caller", "父が倒れました") in result["stored_chat"]
    assert result["dispatcher_chat"]["text"] == "すぐ向かいます"
    assert result["dispatcher_chat"]["author"] == ""  # staff names stay inside
    caller_url = result["caller_guidance"]["url"]
    assert caller_url == (f"/live119/c/{token}/guidance/{guidance_video.pk}/")
    assert result["caller_guidance"]["title_ja"] == "心肺蘇生"
    assert result["staff_guidance"]["url"] == (
        f"/live119/guidance/{guidance_video.pk}/file/"
    )
    served = Client().get(caller_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "video/mp4"
    assert b"".join(served.streaming_content)[4:8] == b"ftyp"
    assert LocationFix.objects.get().source == "caller"


# --- 2. a console that reconnects ------------------------------------------------


def test_reconnecting_console_gets_the_current_state(
    dispatcher: Any, incident: Incident, sent_invite: Invite, guidance_video: Any
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        caller = Socket(caller_path(token))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        for lat in (32.80, 32.81):
            await caller.send({"type": "position", "lat": lat, "lng": 130.7})
            await console.expect("position", lat=lat)
        await caller.send({"type": "chat", "text": "3階です"})
        await console.expect("chat", text="3階です")
        await console.send({"type": "guidance", "video": guidance_video.pk})
        await console.expect("guidance")
        await console.disconnect()

        again = Socket(incident_path(incident), session=session)
        assert (await again.connect())[0]
        state = await again.hello()
        caller_again = Socket(caller_path(token))
        assert (await caller_again.connect())[0]
        caller_state = await caller_again.hello()
        await again.disconnect()
        await caller.disconnect()
        await caller_again.disconnect()
        return state, caller_state

    state, caller_state = run(scenario)

    assert state["position"]["lat"] == pytest.approx(32.81)
    assert [point[0] for point in state["track"]] == [32.80, 32.81]
    assert [m["text"] for m in state["chat"]] == ["3階です"]
    assert state["guidance"]["id"] == guidance_video.pk
    assert state["guidance"]["url"] == f"/live119/guidance/{guidance_video.pk}/file/"
    assert state["recording"] is False
    assert state["state"] == "open"
    assert caller_state["guidance"]["url"] == (
        f"/live119/c/{token}/guidance/{guidance_video.pk}/"
    )
    assert "track" not in caller_state


# --- 3. who may connect ------------------------------------------------------------


def _refused_caller(token: str) -> tuple[dict[str, Any], int]:
    async def scenario() -> tuple[dict[str, Any], int]:
        socket = Socket(caller_path(token))
        await socket.connect()
        error = await socket.expect("error")
        code = await socket.expect_close()
        await socket.disconnect()
        return error, code

    return run(scenario)


def test_expired_link_is_refused(sent_invite: Invite) -> None:
    Invite.objects.filter(pk=sent_invite.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    error, code = _refused_caller(str(sent_invite.token))
    assert (error["code"], code) == ("expired", 4403)
    assert error["message"]


def test_link_opened_too_often_is_refused(sent_invite: Invite, settings: Any) -> None:
    settings.LIVE119 = {**settings.LIVE119, "INVITE_MAX_OPENS": 2}
    page = f"/live119/c/{sent_invite.token}/"
    client = Client()
    assert [client.get(page).status_code for _ in range(3)] == [200, 200, 410]
    error, code = _refused_caller(str(sent_invite.token))
    assert (error["code"], code) == ("used_up", 4403)


def test_link_opened_too_often_refuses_new_sockets_only(
    sent_invite: Invite, settings: Any
) -> None:
    """A caller connected before the limit was passed keeps their socket (and
    its state); a new connection with the link is refused."""
    settings.LIVE119 = {**settings.LIVE119, "INVITE_MAX_OPENS": 1}
    token = str(sent_invite.token)
    services.invite_open(token)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], int]:
        connected = Socket(caller_path(token))
        assert (await connected.connect())[0]
        await connected.hello()
        with pytest.raises(services.InviteRefused):
            await db(lambda: services.invite_open(token))
        state = await connected.hello()
        late = Socket(caller_path(token))
        await late.connect()
        error = await late.expect("error")
        code = await late.expect_close()
        await late.disconnect()
        await connected.disconnect()
        return state, error, code

    state, error, code = run(scenario)

    assert state["state"] == "open"
    assert (error["code"], code) == ("used_up", 4403)


def test_withdrawn_link_is_refused(dispatcher: Any, sent_invite: Invite) -> None:
    services.invite_revoke(actor=dispatcher, invite=sent_invite)
    error, code = _refused_caller(str(sent_invite.token))
    assert (error["code"], code) == ("revoked", 4403)


@pytest.mark.parametrize(
    "token", ["A" * 43, "short", "bad token with spaces and more than twenty"]
)
def test_forged_link_is_refused(sent_invite: Invite, token: str) -> None:
    error, code = _refused_caller(token)
    assert (error["code"], code) == ("unknown", 4403)


def test_link_of_a_closed_incident_is_refused(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    services.incident_close(actor=dispatcher, incident=incident)
    error, code = _refused_caller(str(sent_invite.token))
    assert (error["code"], code) == ("closed", 4403)


def _connect_staff(user: Any, incident: Incident) -> tuple[bool, int | None]:
    session = session_cookie(user) if user is not None else ""

    async def scenario() -> tuple[bool, int | None]:
        return await Socket(incident_path(incident), session=session).connect()

    return run(scenario)


def test_dispatcher_of_another_centre_cannot_open_the_incident(
    other_dispatcher: Any, incident: Incident
) -> None:
    assert _connect_staff(other_dispatcher, incident) == (False, 4404)


def test_unit_not_assigned_cannot_open_the_incident(
    chuo_unit: Any, incident: Incident
) -> None:
    assert _connect_staff(chuo_unit, incident) == (False, 4404)


def test_anonymous_and_unknown_incidents_are_refused(
    dispatcher: Any, incident: Incident
) -> None:
    assert _connect_staff(None, incident) == (False, 4403)
    missing = Incident(pk=incident.pk + 1000)
    assert _connect_staff(dispatcher, missing) == (False, 4404)


def test_assigned_unit_may_chat_but_not_dispatch(
    dispatcher: Any,
    chuo_unit: Any,
    higashi_unit: Any,
    fire: dict[str, Any],
    incident: Incident,
    sent_invite: Invite,
    guidance_video: Any,
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    session = session_cookie(chuo_unit)
    token = str(sent_invite.token)
    assert _connect_staff(higashi_unit, incident) == (False, 4404)

    async def scenario() -> list[dict[str, Any]]:
        caller = Socket(caller_path(token))
        assert (await caller.connect())[0]
        await caller.hello()
        unit = Socket(incident_path(incident), session=session)
        assert (await unit.connect())[0]
        state = await unit.hello()
        assert [u["name"] for u in state["units"]] == [str(fire["chuo"])]
        await unit.send({"type": "chat", "text": "現着まで5分"})
        unit_chat = await caller.expect("chat")
        errors = []
        for message in (
            {"type": "guidance", "video": guidance_video.pk},
            {"type": "recording", "action": "start"},
            {"type": "end"},
        ):
            await unit.send(message)
            errors.append(await unit.expect("error"))
        await unit.disconnect()
        await caller.disconnect()
        return [unit_chat, *errors]

    unit_chat, *errors = run(scenario)

    assert unit_chat["sender"] == "unit"
    assert unit_chat["text"] == "現着まで5分"
    assert [e["code"] for e in errors] == ["forbidden"] * 3
    assert ChatMessage.objects.get().sender == "unit"
    assert not Recording.objects.exists()
    assert Invite.objects.get().revoked_at is None


def test_released_unit_is_disconnected(
    dispatcher: Any, chuo_unit: Any, fire: dict[str, Any], incident: Incident
) -> None:
    assignment = services.unit_assign(
        actor=dispatcher, incident=incident, unit=fire["chuo"]
    )
    session = session_cookie(chuo_unit)

    async def scenario() -> tuple[int, list[str]]:
        unit = Socket(incident_path(incident), session=session)
        assert (await unit.connect())[0]
        await unit.hello()
        await db(lambda: services.unit_release(actor=dispatcher, assignment=assignment))
        code = await unit.expect_close()
        await unit.disconnect()
        return code, [m["type"] for m in unit.received]

    code, received = run(scenario)

    assert code == 4404
    assert received == ["state"]
    assert _connect_staff(chuo_unit, incident) == (False, 4404)


# --- 4. recording ------------------------------------------------------------------


def test_recording_through_the_socket(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> tuple[tuple[float, float], list[dict[str, Any]]]:
        caller = CallerBot(token)
        assert (await caller.socket.connect())[0]
        await caller.publish()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        viewer = ViewerSocketBot("console")
        await viewer.subscribe(console)
        assert await viewer.wait_frames(5, timeout=WAIT)

        # The hub starts recording between these two instants and stops
        # between the next two, so the file lasts at least ``stop - on`` and at
        # most ``off - start`` (whatever the machine's load).
        start = time.monotonic()
        await console.send({"type": "recording", "action": "start"})
        on = await console.expect("recording")
        started = time.monotonic()
        assert await viewer.wait_frames(45, timeout=WAIT)  # ~1.5 s of video
        stop = time.monotonic()
        await console.send({"type": "recording", "action": "stop"})
        off = await console.expect("recording", on=False)
        wall = (stop - started, time.monotonic() - start)
        state = await console.hello()
        assert state["recording"] is False
        await viewer.close()
        await console.disconnect()
        await caller.close()
        return wall, [on, off]

    wall, messages = run(scenario)

    assert [m["on"] for m in messages] == [True, False]
    recording = Recording.objects.get()
    assert recording.stopped_at is not None
    assert recording.content_type == "video/mp4"
    assert recording.frames > 10
    path = Path(services.recording_path(recording))
    assert path.stat().st_size == recording.size > 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
    assert duration == pytest.approx(recording.duration, abs=0.1)
    shortest, longest = wall
    assert shortest - 0.1 <= duration <= longest + 0.1, (shortest, duration, longest)


# --- 5. the dispatcher ends the live part ----------------------------------------


def test_dispatcher_ends_the_live_part(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = CallerBot(token)
        assert (await caller.socket.connect())[0]
        await caller.socket.hello()
        await caller.publish()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        viewer = ViewerSocketBot("console")
        await viewer.subscribe(console)
        assert await viewer.wait_frames(5, timeout=WAIT)
        before = await get_backend().stats(incident.pk)

        await console.send({"type": "end"})
        staff_ended = await console.expect("ended")
        caller_ended = await caller.socket.expect("ended")
        caller_code = await caller.socket.expect_close()
        after = await get_backend().stats(incident.pk)
        state = await console.hello()

        again = Socket(caller_path(token))
        await again.connect()
        refused = await again.expect("error")
        again_code = await again.expect_close()
        await viewer.close()
        await console.disconnect()
        await caller.close()
        return {
            "before": before,
            "after": after,
            "staff_ended": staff_ended,
            "caller_ended": caller_ended,
            "caller_code": caller_code,
            "state": state,
            "refused": refused,
            "again_code": again_code,
        }

    result = run(scenario)

    assert result["before"]["publisher_connected"] is True
    assert result["before"]["viewers"]
    assert result["staff_ended"]["reason"] == "live_end"
    assert result["caller_ended"]["reason"] == "live_end"
    assert result["caller_code"] == 4403
    assert result["after"] == {
        "publisher_connected": False,
        "viewers": [],
        "frames_received": 0,
        "last_frame_at": None,
        "recording": False,
    }
    assert result["state"]["state"] == "open"  # the incident itself stays open
    assert result["state"]["caller_connected"] is False
    assert (result["refused"]["code"], result["again_code"]) == ("revoked", 4403)
    assert not Invite.objects.filter(revoked_at__isnull=True).exists()
    assert not selectors.incident_state(incident)["guidance"]


def test_withdrawing_one_link_ends_only_its_caller(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    """A link sent to a wrong number is withdrawn while the right caller (another
    link) is connected: only the wrong one's socket and video end."""
    wrong = str(sent_invite.token)
    right = services.invite_send(
        actor=dispatcher, incident=incident, phone="080-2222-3333"
    )
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        intruder = CallerBot(wrong)
        assert (await intruder.socket.connect())[0]
        await intruder.socket.hello()
        await intruder.publish()
        caller = Socket(caller_path(str(right.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        viewer = ViewerSocketBot("console")
        await viewer.subscribe(console)
        assert await viewer.wait_frames(5, timeout=WAIT)

        await db(lambda: services.invite_revoke(actor=dispatcher, invite=sent_invite))
        ended = await intruder.socket.expect("ended")
        code = await intruder.socket.expect_close()
        await console.expect("invites")
        stats = await get_backend().stats(incident.pk)
        await caller.send({"type": "chat", "text": "まだ話せます"})
        chat = await console.expect("chat", sender="caller")
        await console.hello()  # a round trip: no "ended" was queued before it
        await viewer.close()
        await console.disconnect()
        await caller.disconnect()
        await intruder.close()
        return {
            "ended": ended,
            "code": code,
            "stats": stats,
            "chat": chat,
            "console": [m["type"] for m in console.received],
            "caller": [m["type"] for m in caller.received],
        }

    result = run(scenario)

    assert result["ended"] == {
        "type": "ended",
        "reason": "revoked",
        "invite": sent_invite.pk,
    }
    assert result["code"] == 4403
    assert result["stats"]["publisher_connected"] is False  # its video is dropped
    assert len(result["stats"]["viewers"]) == 1  # the console still watches
    assert result["chat"]["text"] == "まだ話せます"
    assert "ended" not in result["console"]
    assert "ended" not in result["caller"]


def test_caller_ends_the_video_and_may_come_back(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], bool]:
        caller = CallerBot(token)
        assert (await caller.socket.connect())[0]
        await caller.publish()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await caller.socket.send({"type": "end"})
        presence = await console.expect("presence", caller_connected=False)
        stats = await get_backend().stats(incident.pk)
        await caller.close()
        again = Socket(caller_path(token))
        connected, _ = await again.connect()
        state = await again.hello()
        await again.disconnect()
        await console.disconnect()
        return presence, {"stats": stats, "state": state}, connected

    presence, result, connected = run(scenario)

    assert presence["caller_connected"] is False
    assert result["stats"]["publisher_connected"] is False
    assert connected and result["state"]["state"] == "open"


# --- 5. positions in batches, the caller's link checked without a SELECT a message


async def _until(check: Callable[[], bool], timeout: float = WAIT) -> float:
    """Poll the database until ``check`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not await db(check):
        assert time.monotonic() - started < timeout, "not in the database"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def test_positions_are_delivered_at_once_and_stored_in_a_batch(
    dispatcher: Any, incident: Incident, sent_invite: Invite, settings: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "POSITION_FLUSH_SECONDS": 0.3}
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        lats = [32.80 + i / 1000 for i in range(5)]
        for lat in lats:
            await caller.send({"type": "position", "lat": lat, "lng": 130.7})
        delivered = [(await console.expect("position"))["lat"] for _ in lats]
        # delivered before it is stored, stored without the caller leaving
        waited = await _until(
            lambda: LocationFix.objects.filter(incident=incident).count() == 5
        )
        stored = await db(
            lambda: list(
                LocationFix.objects.filter(incident=incident)
                .order_by("received_at", "id")
                .values_list("lat", "invite_id", "source")
            )
        )
        await console.disconnect()
        await caller.disconnect()
        return {"delivered": delivered, "stored": stored, "waited": waited}

    result = run(scenario)

    assert result["delivered"] == pytest.approx([32.80, 32.801, 32.802, 32.803, 32.804])
    assert [row[0] for row in result["stored"]] == pytest.approx(
        [32.80, 32.801, 32.802, 32.803, 32.804]
    )
    assert {row[1:] for row in result["stored"]} == {(sent_invite.pk, "caller")}
    assert result["waited"] < 5  # one flush interval, on a loaded machine


def test_a_leaving_caller_stores_its_last_positions(
    incident: Incident, sent_invite: Invite, settings: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "POSITION_FLUSH_SECONDS": 60}

    async def scenario() -> int:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        await caller.send({"type": "position", "lat": 32.8, "lng": 130.7})
        await caller.hello()  # a round trip: the position was handled
        await caller.disconnect()
        return await db(lambda: LocationFix.objects.filter(incident=incident).count())

    assert run(scenario) == 1


def test_bad_position_is_refused_and_not_published(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    session = session_cookie(dispatcher)

    async def scenario() -> tuple[dict[str, Any], list[str]]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await caller.send({"type": "position", "lat": 91, "lng": 130.7})
        error = await caller.expect("error")
        await caller.send({"type": "chat", "text": "ok"})
        await console.expect("chat", text="ok")
        await console.disconnect()
        await caller.disconnect()
        return error, [m["type"] for m in console.received]

    error, seen = run(scenario)
    assert error["code"] == "bad_request"
    assert "position" not in seen
    assert not LocationFix.objects.exists()


def test_caller_whose_link_is_withdrawn_without_an_event_is_refused_at_the_recheck(
    dispatcher: Any, incident: Incident, sent_invite: Invite, settings: Any
) -> None:
    """The ``ended`` event is the fast path; if it never reaches the socket (an
    event lost, a change made outside the services), the process's periodic
    read of its callers' links stops the caller: at most
    ``CALLER_RECHECK_SECONDS`` (here the minimum, 50 ms) and one read later."""
    settings.LIVE119 = {**settings.LIVE119, "CALLER_RECHECK_SECONDS": 0}
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await caller.send({"type": "position", "lat": 32.8, "lng": 130.7})
        await console.expect("position", lat=32.8)
        await db(
            lambda: Invite.objects.filter(pk=sent_invite.pk).update(
                revoked_at=timezone.now()
            )
        )
        # the window: this one is still delivered while the link is read again
        await caller.send({"type": "position", "lat": 32.81, "lng": 130.7})
        error = await caller.expect("error")
        code = await caller.expect_close()
        await caller.send({"type": "position", "lat": 32.82, "lng": 130.7})
        await caller.send({"type": "chat", "text": "まだ？"})
        await console.send({"type": "chat", "text": "round trip"})
        await console.expect("chat", text="round trip")
        await caller.disconnect()
        await console.disconnect()
        return {
            "error": error,
            "code": code,
            "console": [(m["type"], m.get("lat")) for m in console.received],
        }

    result = run(scenario)
    assert (result["error"]["code"], result["code"]) == ("revoked", 4403)
    assert ("position", 32.82) not in result["console"]
    assert not ChatMessage.objects.filter(text="まだ？").exists()
    assert not LocationFix.objects.filter(lat=32.82).exists()


def test_caller_chat_after_the_incident_closed_without_an_event_is_refused(
    incident: Incident, sent_invite: Invite, settings: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "CALLER_RECHECK_SECONDS": 0}

    async def scenario() -> tuple[dict[str, Any], int]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        await db(
            lambda: Incident.objects.filter(pk=incident.pk).update(
                state="closed", closed_at=timezone.now()
            )
        )
        # refused by the next read of the links, without sending anything
        error = await caller.expect("error")
        await caller.send({"type": "chat", "text": "聞こえますか"})
        code = await caller.expect_close()
        await caller.disconnect()
        return error, code

    error, code = run(scenario)
    assert (error["code"], code) == ("closed", 4403)
    assert not ChatMessage.objects.exists()


def test_caller_refused_after_the_withdrawal_event_sends_nothing_more(
    dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    """The link is trusted for a few seconds between reads, but the ``ended``
    event of its withdrawal stops it at once: what the phone still sends is
    dropped, neither stored nor delivered."""
    session = session_cookie(dispatcher)

    async def scenario() -> list[str]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await db(lambda: services.invite_revoke(actor=dispatcher, invite=sent_invite))
        await caller.expect("ended")
        await caller.expect_close()
        await caller.send({"type": "position", "lat": 32.9, "lng": 130.7})
        await caller.send({"type": "chat", "text": "もしもし"})
        await console.send({"type": "chat", "text": "round trip"})
        await console.expect("chat", text="round trip")
        await caller.disconnect()
        await console.disconnect()
        return [m["type"] for m in console.received]

    seen = run(scenario)
    assert "position" not in seen
    assert not ChatMessage.objects.filter(text="もしもし").exists()
    assert not LocationFix.objects.exists()


def test_caller_keeps_sending_after_the_opening_window_when_rechecked(
    dispatcher: Any, incident: Incident, sent_invite: Invite, settings: Any
) -> None:
    """The link's expiry limits opening it, not a call in progress (as
    ``services.caller_may_send``): the re-check lets the caller go on."""
    settings.LIVE119 = {**settings.LIVE119, "CALLER_RECHECK_SECONDS": 0}
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = Socket(caller_path(str(sent_invite.token)))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await db(
            lambda: Invite.objects.filter(pk=sent_invite.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            )
        )
        await asyncio.sleep(0.3)  # several reads of the links
        await caller.send({"type": "chat", "text": "まだいます"})
        chat = await console.expect("chat", sender="caller")
        await caller.disconnect()
        await console.disconnect()
        return chat

    assert run(scenario)["text"] == "まだいます"
