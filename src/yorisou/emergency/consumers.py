"""WebSocket consumers of Live119 (the protocol: docs/live119.md).

Thin: each message is checked, handed to a service (the database first) or to the
media backend, and the change is told to the incident's browsers through
``events``. A browser that reconnects says ``hello`` and gets the state again.
"""

from typing import Any

from django.urls import reverse

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from yorisou.emergency import events, selectors, services
from yorisou.emergency.media import get_backend
from yorisou.emergency.media.base import PUBLISHER, MediaError, SessionDescription

MAX_SDP = 64_000
MAX_TEXT = 1_000


def _guidance_for(video: dict[str, Any] | None, url: str) -> dict[str, Any] | None:
    if not video:
        return None
    return {**video, "url": url}


class _Live119Consumer(AsyncJsonWebsocketConsumer):
    """What the caller's and the staff's connections share."""

    incident_id: int = 0

    async def live119_event(self, event: dict[str, Any]) -> None:
        if event.get("exclude") and event["exclude"] == self.channel_name:
            return
        await self.send_json(await self.adapt(dict(event["message"])))

    async def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as this connection's page needs it (e.g. its video URL)."""
        return message

    async def error(self, code: str, message: str = "") -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def leave(self) -> None:
        if self.incident_id:
            await events.aleave(self.incident_id, self.channel_name)


class CallerConsumer(_Live119Consumer):
    """The caller's phone: publishes video, sends positions and chat, plays the
    guidance videos the dispatcher sends. Authorised by the invite token alone."""

    invite: Any = None

    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"]["token"])
        await self.accept()
        try:
            self.invite = await database_sync_to_async(services.invite_check)(
                token=token
            )
        except services.InviteRefused as refused:
            await self.error(refused.code, str(refused))
            await self.close(code=4403)
            return
        self.token = token
        self.incident_id = int(self.invite.incident_id)
        await events.ajoin(self.incident_id, self.channel_name)
        await events.apublish(
            self.incident_id, {"type": "presence", "caller_connected": True}
        )

    async def disconnect(self, code: int) -> None:
        if self.invite is None:
            return
        await self.leave()
        await events.apublish(
            self.incident_id, {"type": "presence", "caller_connected": False}
        )

    async def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "guidance":
            video = message.get("video") or {}
            return {
                "type": "guidance",
                **(
                    _guidance_for(
                        video,
                        reverse(
                            "emergency:caller_guidance",
                            kwargs={"token": self.token, "pk": video.get("id", 0)},
                        ),
                    )
                    or {}
                ),
            }
        if message.get("type") == "chat":
            message = {**message, "author": ""}
        return message

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.invite is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "hello":
                await self.send_state()
            elif kind == "position":
                fix = await database_sync_to_async(services.position_record)(
                    invite=self.invite,
                    lat=content.get("lat"),
                    lng=content.get("lng"),
                    accuracy=content.get("accuracy"),
                    heading=content.get("heading"),
                    speed=content.get("speed"),
                    client_at=content.get("at"),
                )
                await events.apublish(
                    self.incident_id,
                    {"type": "position", **selectors.position_dict(fix)},
                    exclude=self.channel_name,
                )
            elif kind == "chat":
                message = await database_sync_to_async(services.chat_post)(
                    invite=self.invite, text=str(content.get("text", ""))[:MAX_TEXT]
                )
                await events.apublish(
                    self.incident_id,
                    {"type": "chat", **selectors.chat_message_dict(message)},
                )
            elif kind == "offer":
                sdp = str(content.get("sdp", ""))[:MAX_SDP]
                answer = await get_backend().publish(
                    self.incident_id,
                    SessionDescription(sdp=sdp, type="offer"),
                    ice_servers=await database_sync_to_async(self.ice)(),
                )
                await self.send_json({"type": "answer", "sdp": answer.sdp})
                await events.apublish(
                    self.incident_id, {"type": "presence", "caller_connected": True}
                )
            elif kind == "ice" and isinstance(content.get("candidate"), dict):
                await get_backend().add_ice_candidate(
                    self.incident_id, PUBLISHER, content["candidate"]
                )
            elif kind == "end":
                await database_sync_to_async(services.caller_end)(invite=self.invite)
                await get_backend().unpublish(self.incident_id)
                await events.apublish(
                    self.incident_id, {"type": "presence", "caller_connected": False}
                )
        except services.InviteRefused as refused:
            await self.error(refused.code, str(refused))
            await self.close(code=4403)
        except (ValueError, TypeError, MediaError) as problem:
            await self.error("bad_request", str(problem)[:200])
        except services.ValidationError as problem:
            await self.error("bad_request", "; ".join(problem.messages)[:200])

    def ice(self) -> list[dict[str, Any]]:
        return selectors.ice_servers(incident=self.invite.incident, invite=self.invite)

    async def send_state(self) -> None:
        state = await database_sync_to_async(self._state)()
        await self.send_json(await self.adapt_state(state))

    def _state(self) -> dict[str, Any]:
        self.invite = services.invite_check(token=self.token)
        return dict(selectors.incident_state(self.invite.incident, for_caller=True))

    async def adapt_state(self, state: dict[str, Any]) -> dict[str, Any]:
        video = state.get("guidance")
        if video:
            state["guidance"] = await self.adapt({"type": "guidance", "video": video})
        state["state"] = state.get("incident", {}).get("state", "open")
        return {"type": "state", **state}


class IncidentConsumer(_Live119Consumer):
    """A dispatcher's console or a unit's view of one incident."""

    user: Any = None
    dispatch = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        found = await database_sync_to_async(self._load)(user, pk)
        if not found:
            await self.close(code=4404)
            return
        self.user = user
        self.incident_id = pk
        self.viewer_id = self.channel_name
        await events.ajoin(self.incident_id, self.channel_name)
        await self.accept()

    def _load(self, user: Any, pk: int) -> bool:
        try:
            incident = selectors.incident_get(actor=user, pk=pk)
        except selectors.Incident.DoesNotExist:
            return False
        self.dispatch = selectors.can_dispatch(user, incident)
        return True

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        await self.leave()
        try:
            await get_backend().unsubscribe(self.incident_id, self.viewer_id)
        except MediaError:
            pass

    async def adapt(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") == "guidance":
            video = message.get("video") or {}
            return {
                "type": "guidance",
                **(
                    _guidance_for(
                        video,
                        reverse(
                            "emergency:guidance_file", kwargs={"pk": video.get("id", 0)}
                        ),
                    )
                    or {}
                ),
            }
        return message

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "hello":
                state = await database_sync_to_async(self._state)()
                stats = await get_backend().stats(self.incident_id)
                state["caller_connected"] = bool(stats.get("publisher_connected"))
                await self.send_json({"type": "state", **state})
            elif kind == "offer":
                sdp = str(content.get("sdp", ""))[:MAX_SDP]
                answer = await get_backend().subscribe(
                    self.incident_id,
                    self.viewer_id,
                    SessionDescription(sdp=sdp, type="offer"),
                    ice_servers=await database_sync_to_async(self.ice)(),
                )
                await self.send_json({"type": "answer", "sdp": answer.sdp})
            elif kind == "ice" and isinstance(content.get("candidate"), dict):
                await get_backend().add_ice_candidate(
                    self.incident_id, self.viewer_id, content["candidate"]
                )
            elif kind == "chat":
                message = await database_sync_to_async(services.chat_post)(
                    actor=self.user,
                    incident_id=self.incident_id,
                    text=str(content.get("text", ""))[:MAX_TEXT],
                )
                await events.apublish(
                    self.incident_id,
                    {"type": "chat", **selectors.chat_message_dict(message)},
                )
            elif not self.dispatch:
                await self.error("forbidden")
            elif kind == "guidance":
                play = await database_sync_to_async(services.guidance_play)(
                    actor=self.user,
                    incident_id=self.incident_id,
                    video_id=int(content.get("video", 0)),
                )
                await events.apublish(
                    self.incident_id, {"type": "guidance", "video": play}
                )
            elif kind == "recording":
                on = await self._recording(str(content.get("action", "")))
                await events.apublish(self.incident_id, {"type": "recording", "on": on})
            elif kind == "snapshot":
                await database_sync_to_async(services.snapshot_save)(
                    actor=self.user,
                    incident_id=self.incident_id,
                    data_url=str(content.get("image", ""))[:5_000_000],
                )
            elif kind == "end":
                await get_backend().unpublish(self.incident_id)
                await database_sync_to_async(services.live_end)(
                    actor=self.user, incident_id=self.incident_id
                )
                await events.apublish(self.incident_id, {"type": "ended"})
        except services.PermissionDenied:
            await self.error("forbidden")
        except services.ValidationError as problem:
            await self.error("bad_request", "; ".join(problem.messages)[:200])
        except (ValueError, TypeError, MediaError) as problem:
            await self.error("bad_request", str(problem)[:200])

    async def _recording(self, action: str) -> bool:
        backend = get_backend()
        if action == "start":
            path = await database_sync_to_async(services.recording_path)(
                actor=self.user, incident_id=self.incident_id
            )
            await backend.start_recording(self.incident_id, path)
            await database_sync_to_async(services.recording_started)(
                actor=self.user, incident_id=self.incident_id, path=path
            )
            return True
        info = await backend.stop_recording(self.incident_id)
        if info is not None:
            await database_sync_to_async(services.recording_register)(
                actor=self.user, incident_id=self.incident_id, info=info
            )
        return False

    def _state(self) -> dict[str, Any]:
        incident = selectors.incident_get(actor=self.user, pk=self.incident_id)
        state = dict(selectors.incident_state(incident))
        state["state"] = state.get("incident", {}).get("state", "open")
        if state.get("guidance"):
            state["guidance"] = _guidance_for(
                state["guidance"],
                reverse(
                    "emergency:guidance_file", kwargs={"pk": state["guidance"]["id"]}
                ),
            )
        return state

    def ice(self) -> list[dict[str, Any]]:
        incident = selectors.incident_get(actor=self.user, pk=self.incident_id)
        return selectors.ice_servers(incident=incident, actor=self.user)
