"""WebSocket consumers of Live119 (the protocol: docs/live119.md).

Thin: each message is checked and handed to a service (the database first; the
consumer then tells every page of the incident through ``events``, from the
event loop) or to the media backend. A browser that reconnects says ``hello``
and gets the state again, so nothing depends on which web process it reaches —
except the media of an incident, which the embedded hub keeps in one process
(docs/live119.md).

Redis pub/sub may lose a message (at most once): ``delivery`` notices and each
socket of the incident sends its page the state again (``resync``).

The caller's positions are the exception to "the database first" (several a
second for every call): checked, published at once and stored in batches by
``positions`` within ``POSITION_FLUSH_SECONDS``. The caller's link is checked
when the socket connects, on the ``ended`` events, and by ``links`` for all the
callers of the process together every ``CALLER_RECHECK_SECONDS`` — not with a
SELECT per message.
"""

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.urls import reverse

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from yorisou.core.permissions import SYSTEM
from yorisou.emergency import (
    delivery,
    events,
    links,
    positions,
    selectors,
    services,
)
from yorisou.emergency.constants import InviteRefusal
from yorisou.emergency.media import get_backend
from yorisou.emergency.media.base import PUBLISHER, MediaError, SessionDescription
from yorisou.emergency.models import Incident

MAX_SDP = 64_000
MAX_TEXT = 1_000
MAX_IMAGE = 5_000_000

logger = logging.getLogger(__name__)

# the events after which a staff socket reads its incident again (its state, its
# units: whether a unit may still follow it)
RELOAD_ON = {"units", "incident", "ended"}


def _with_url(video: dict[str, Any], url: str) -> dict[str, Any]:
    return {**video, "url": url}


class _Live119Consumer(AsyncJsonWebsocketConsumer):
    """What the caller's and the staff's connections share."""

    incident_id: int = 0

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Call the message's handler directly. channels' own ``dispatch`` first
        hops to the process's database thread for ``close_old_connections``
        before every message (group events included), queued behind the
        database work; every database call here goes through
        ``database_sync_to_async``, which does that around the call anyway."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def live119_event(self, event: dict[str, Any]) -> None:
        delivery.watch().received(self.incident_id, event.get("src"), event.get("seq"))
        if event.get("exclude") and event["exclude"] == self.channel_name:
            return
        message = dict(event.get("message") or {})
        if message.get("type") == "ended":
            await self.ended(message)
            return
        await self.send_json(self.adapt(message))

    async def ended(self, message: dict[str, Any]) -> None:
        """The live part is over: stop the incident's media in this process (the
        first connection to hear it does it, the others find nothing to stop;
        a recording is kept with the incident) and tell the page."""
        await end_media(self.incident_id)
        await self.send_json(message)

    def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as this connection's page needs it (e.g. its video URL)."""
        return message

    async def error(self, code: str, message: str = "") -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def join(self) -> None:
        """Follow the incident's events; ``delivery`` resyncs this socket when
        one may have been lost."""
        await events.ajoin(self.incident_id, self.channel_name)
        delivery.watch().add(self.incident_id, id(self), self.resync)

    async def leave(self) -> None:
        if self.incident_id:
            delivery.watch().discard(self.incident_id, id(self))
            await events.aleave(self.incident_id, self.channel_name)

    async def send_state(self, *, resync: bool = False) -> None:
        """Send the page the incident's current state (``hello``, resync)."""
        raise NotImplementedError

    async def resync(self) -> None:
        """A message to this incident may have been lost: the page gets the
        state, as after ``hello``, marked ``"resync": true``."""
        await self.send_state(resync=True)


class CallerConsumer(_Live119Consumer):
    """The caller's phone: publishes video, sends positions and chat, plays the
    guidance videos the dispatcher sends. Authorised by the invite token alone."""

    invite: Any = None
    incident: Incident | None = None  # as last read (connect, hello)
    refused = ""  # an InviteRefusal code once the link may send no more
    token = ""
    published = False

    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"]["token"])
        await self.accept()
        try:
            self.invite = await database_sync_to_async(services.invite_connect)(
                token=token
            )
        except services.InviteRefused as refused:
            await self.error(refused.code, str(refused))
            await self.close(code=4403)
            return
        self.token = token
        self.incident = self.invite.incident
        self.incident_id = int(self.invite.incident_id)
        links.watch().add(self.invite.pk, id(self), self._refuse)
        await self.join()
        await events.apublish(
            self.incident_id, {"type": "presence", "caller_connected": True}
        )

    async def disconnect(self, code: int) -> None:
        if self.invite is None:
            return
        links.watch().discard(self.invite.pk, id(self))
        # this caller's last positions are in the database before it is gone
        await positions.buffer().flush()
        await self.leave()
        await events.apublish(
            self.incident_id, {"type": "presence", "caller_connected": False}
        )

    # --- may this caller still send? -------------------------------------------

    async def _refuse(self, code: str) -> None:
        """The link may send no more: say why and close (4403: no reconnect).
        Once: what the phone still sends before the close is dropped."""
        if self.refused:
            return
        self.refused = code
        await self.error(code, str(InviteRefusal(code).label))
        await self.close(code=4403)

    async def _position(self, content: dict[str, Any]) -> None:
        """Checked (no database), published at once, stored in the next batch."""
        fix = services.caller_position(
            invite=self.invite,
            lat=content.get("lat"),
            lng=content.get("lng"),
            accuracy=content.get("accuracy"),
            heading=content.get("heading"),
            speed=content.get("speed"),
            client_at=content.get("at"),
        )
        # not back to this socket: the caller's page draws its own position
        await events.apublish(
            self.incident_id,
            {"type": "position", **selectors.position_dict(fix)},
            exclude=self.channel_name,
        )
        positions.buffer().add(fix)

    def _chat(self, text: str, loop: asyncio.AbstractEventLoop) -> None:
        """Store the caller's chat (the link as last read: ``links`` reads it
        again every few seconds); it is handed to this loop to publish at
        commit."""
        assert self.incident is not None
        services.chat_post(
            invite=self.invite, text=text, checked=self.incident, loop=loop
        )

    async def ended(self, message: dict[str, Any]) -> None:
        """``ended`` for the whole incident, or for this caller's link only (the
        dispatcher withdrew it): the page ends and the socket closes (4403, so the
        page does not reconnect). Another link's withdrawal does not concern it."""
        withdrawn = message.get("invite")
        if withdrawn is not None:
            if int(withdrawn) != int(self.invite.pk):
                return
            self.refused = InviteRefusal.REVOKED
            if self.published:
                await get_backend().unpublish(self.incident_id)
            await self.send_json(message)
        else:
            self.refused = (
                InviteRefusal.CLOSED
                if message.get("reason") == "closed"
                else InviteRefusal.REVOKED
            )
            await super().ended(message)
        await self.close(code=4403)

    def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "guidance" and message.get("video"):
            video = dict(message["video"])
            url = reverse(
                "emergency:caller_guidance",
                kwargs={"token": self.token, "pk": int(video.get("id", 0))},
            )
            return {"type": "guidance", **_with_url(video, url)}
        if message.get("type") == "chat":
            return {**message, "author": ""}
        return message

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.invite is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if self.refused:
            return  # the link was withdrawn or the incident ended: nothing more
        try:
            if kind == "hello":
                await self.send_state()
            elif kind == "position":
                await self._position(content)
            elif kind == "chat":
                await database_sync_to_async(self._chat)(
                    str(content.get("text", ""))[:MAX_TEXT], asyncio.get_running_loop()
                )
            elif kind == "offer":
                servers = await database_sync_to_async(self._ice)()
                answer = await get_backend().publish(
                    self.incident_id,
                    SessionDescription(
                        sdp=str(content.get("sdp", ""))[:MAX_SDP], type="offer"
                    ),
                    ice_servers=servers,
                )
                self.published = True
                await self.send_json({"type": "answer", "sdp": answer.sdp})
                await events.apublish(
                    self.incident_id, {"type": "presence", "caller_connected": True}
                )
            elif kind == "ice" and isinstance(content.get("candidate"), dict):
                await get_backend().add_ice_candidate(
                    self.incident_id, PUBLISHER, content["candidate"]
                )
            elif kind == "end":
                # the video first: when the staff hear "presence", it is gone
                await get_backend().unpublish(self.incident_id)
                self.published = False
                await database_sync_to_async(services.caller_end)(invite=self.invite)
        except services.InviteRefused as refused:
            await self._refuse(refused.code)
        except ValidationError as problem:
            await self.error("bad_request", "; ".join(problem.messages)[:200])
        except (ValueError, TypeError, MediaError) as problem:
            await self.error("bad_request", str(problem)[:200])

    async def send_state(self, *, resync: bool = False) -> None:
        state = await database_sync_to_async(self._state)()
        await self.send_json({**state, "resync": True} if resync else state)

    async def resync(self) -> None:
        if self.invite is None or self.refused:
            return
        try:
            await self.send_state(resync=True)
        except services.InviteRefused as refused:
            await self._refuse(refused.code)

    def _ice(self) -> list[dict[str, Any]]:
        return selectors.ice_servers(incident=self.invite.incident, invite=self.invite)

    def _state(self) -> dict[str, Any]:
        self.invite = services.invite_check(token=self.token)
        self.incident = self.invite.incident
        state = dict(selectors.incident_state(self.invite.incident, for_caller=True))
        if state.get("guidance"):
            state["guidance"] = self.adapt(
                {"type": "guidance", "video": state["guidance"]}
            )
        state["state"] = (state.get("incident") or {}).get("state", "open")
        return {"type": "state", **state}


class IncidentConsumer(_Live119Consumer):
    """A dispatcher's console or a unit's view of one incident."""

    user: Any = None
    incident: Incident | None = None  # as last loaded
    may_dispatch = False  # not "dispatch": that is the consumer's own method
    viewer_id = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        if not await database_sync_to_async(self._load)(user, pk):
            await self.close(code=4404)
            return
        self.user = user
        self.incident_id = pk
        self.viewer_id = f"viewer-{self.channel_name}"
        await self.join()
        await self.accept()

    def _load(self, user: Any, pk: int) -> bool:
        try:
            incident = selectors.incident_get(actor=user, pk=pk)
        except Incident.DoesNotExist:
            return False
        self.incident = incident
        self.may_dispatch = selectors.can_dispatch(user, incident)
        return True

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        await self.leave()
        with contextlib.suppress(MediaError):
            await get_backend().unsubscribe(self.incident_id, self.viewer_id)

    def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "guidance" and message.get("video"):
            video = dict(message["video"])
            url = reverse("emergency:guidance_file", kwargs={"pk": int(video["id"])})
            return {"type": "guidance", **_with_url(video, url)}
        return message

    async def live119_event(self, event: dict[str, Any]) -> None:
        message = event.get("message") or {}
        if message.get("type") in RELOAD_ON and not await database_sync_to_async(
            self._load
        )(self.user, self.incident_id):
            # a unit released from the incident sees it no more
            await self.close(code=4404)
            return
        await super().live119_event(event)

    async def ended(self, message: dict[str, Any]) -> None:
        if message.get("invite") is not None:
            # one link withdrawn: the video goes on; the console redraws its links
            await self.send_json({"type": "invites"})
            return
        await super().ended(message)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "hello":
                await self.send_state()
            elif kind == "offer":
                servers = await database_sync_to_async(self._ice)()
                answer = await get_backend().subscribe(
                    self.incident_id,
                    self.viewer_id,
                    SessionDescription(
                        sdp=str(content.get("sdp", ""))[:MAX_SDP], type="offer"
                    ),
                    ice_servers=servers,
                )
                await self.send_json({"type": "answer", "sdp": answer.sdp})
            elif kind == "ice" and isinstance(content.get("candidate"), dict):
                await get_backend().add_ice_candidate(
                    self.incident_id, self.viewer_id, content["candidate"]
                )
            elif kind == "chat":
                await database_sync_to_async(self._chat)(
                    str(content.get("text", ""))[:MAX_TEXT], asyncio.get_running_loop()
                )
            elif not self.may_dispatch:
                await self.error("forbidden")
            elif kind == "guidance":
                await database_sync_to_async(self._guidance)(
                    int(content.get("video", 0))
                )
            elif kind == "recording":
                await self._recording(str(content.get("action", "")))
            elif kind == "snapshot":
                await database_sync_to_async(self._act)(
                    services.snapshot_save,
                    data_url=str(content.get("image", ""))[:MAX_IMAGE],
                )
            elif kind == "end":
                await database_sync_to_async(self._act)(services.live_end)
        except (PermissionDenied, ObjectDoesNotExist):
            await self.error("forbidden")
        except ValidationError as problem:
            await self.error("bad_request", "; ".join(problem.messages)[:200])
        except (ValueError, TypeError, MediaError) as problem:
            await self.error("bad_request", str(problem)[:200])

    async def send_state(self, *, resync: bool = False) -> None:
        # positions of this process's callers not yet in a batch first
        # (another process's are stored within POSITION_FLUSH_SECONDS)
        await positions.buffer().flush()
        state = await database_sync_to_async(self._state)()
        stats = await get_backend().stats(self.incident_id)
        state["caller_connected"] = bool(stats.get("publisher_connected"))
        state["recording"] = bool(state.get("recording")) or bool(
            stats.get("recording")
        )
        if resync:
            state["resync"] = True
        await self.send_json(state)

    async def resync(self) -> None:
        if self.user is None:
            return
        # a lost ``units``/``incident`` event: read the incident again first
        if not await database_sync_to_async(self._load)(self.user, self.incident_id):
            await self.close(code=4404)
            return
        try:
            await self.send_state(resync=True)
        except (PermissionDenied, ObjectDoesNotExist):
            await self.close(code=4404)

    def _incident(self) -> Incident:
        return selectors.incident_get(actor=self.user, pk=self.incident_id)

    def _act(self, service: Any, **kwargs: Any) -> Any:
        """Call a service on this incident as this user (in a thread)."""
        return service(actor=self.user, incident=self._incident(), **kwargs)

    def _chat(self, text: str, loop: asyncio.AbstractEventLoop) -> None:
        """Store a chat message of this user (dispatcher or assigned unit); it is
        handed to this loop to publish at commit. The incident as loaded on
        connect and on every event that changes it (``RELOAD_ON``); the service
        checks who may write (a unit: assigned now) and that it is open."""
        assert self.incident is not None
        services.chat_post(
            actor=self.user, incident=self.incident, text=text, loop=loop
        )

    def _guidance(self, video_id: int) -> None:
        video = selectors.guidance_get(actor=self.user, pk=video_id)
        services.guidance_play(actor=self.user, incident=self._incident(), video=video)

    async def _recording(self, action: str) -> None:
        """Start or stop recording the caller's video; the services keep the file
        with the incident and tell every page."""
        if action == "start":
            path = await database_sync_to_async(self._recording_path)()
            await get_backend().start_recording(self.incident_id, path)
        elif action == "stop":
            await stop_recording(self.incident_id, actor=self.user)

    def _recording_path(self) -> Path:
        recording = services.recording_start(
            actor=self.user, incident=self._incident(), extension="mp4"
        )
        return services.recording_path(recording)

    def _state(self) -> dict[str, Any]:
        state = dict(selectors.incident_state(self._incident()))
        if state.get("guidance"):
            state["guidance"] = self.adapt(
                {"type": "guidance", "video": state["guidance"]}
            )
        state["state"] = (state.get("incident") or {}).get("state", "open")
        return {"type": "state", **state}

    def _ice(self) -> list[dict[str, Any]]:
        return selectors.ice_servers(incident=self._incident(), actor=self.user)


async def end_media(incident_id: int) -> None:
    """Stop the incident's recording (kept with the incident) and its media."""
    await stop_recording(incident_id, actor=None)
    await get_backend().close(incident_id)


async def stop_recording(incident_id: int, *, actor: Any) -> None:
    """Stop the incident's recording if one runs and keep the file with it."""
    info = await get_backend().stop_recording(incident_id)
    if info is None:
        return
    await database_sync_to_async(_register_recording)(incident_id, info, actor)


def _register_recording(incident_id: int, info: Any, actor: Any) -> None:
    services.recording_register(
        incident=Incident.objects.get(pk=incident_id),
        path=info.path,
        started_at=info.started_at,
        stopped_at=info.stopped_at,
        duration=info.duration_s,
        frames=info.frames_written,
        size=info.size_bytes,
        content_type="video/mp4",
        actor=actor if actor is not None else SYSTEM,
    )
