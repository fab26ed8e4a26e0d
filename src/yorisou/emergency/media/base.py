"""The media backend contract of Live119 (see docs/live119.md, "Media").

The caller's phone uploads one stream; a media backend fans it out to every viewer
(dispatchers and units) and can record it. The consumers only talk to a
:class:`MediaBackend`; which one runs is chosen by ``LIVE119["MEDIA_BACKEND"]``:
``hub`` (aiortc in the web process, :mod:`.hub`) or another registered plugin such
as an SFU adapter.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypedDict

from yorisou.core.registry import Registry

#: ``peer_id`` of the caller's (publishing) connection in :meth:`add_ice_candidate`;
#: viewers are addressed by their ``viewer_id``.
PUBLISHER = "publisher"


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """An SDP offer or answer, as the browser's ``RTCSessionDescription``."""

    sdp: str
    type: Literal["offer", "answer"]


class IceServer(TypedDict, total=False):
    """One entry of ``RTCConfiguration.iceServers`` (the browser's JSON shape)."""

    urls: str | list[str]
    username: str
    credential: str


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What a finished recording (録画) holds; the service stores it with the incident.

    ``duration_s`` is the container's duration, which follows the arrival times of
    the frames: frames lost on the network or dropped under load leave gaps, they
    never make the file shorter than the time it covers.
    """

    path: Path
    started_at: datetime
    stopped_at: datetime
    duration_s: float
    frames_received: int
    frames_written: int
    frames_dropped: int
    size_bytes: int


class MediaStats(TypedDict):
    """The live state of one incident's media, for the console and the tests."""

    publisher_connected: bool
    viewers: list[str]
    frames_received: int
    last_frame_at: datetime | None
    recording: bool


class MediaError(Exception):
    """A media request that cannot be served (bad SDP, unknown peer, …)."""


class MediaBackend(abc.ABC):
    """Fans one caller's stream out to the viewers of an incident, and records it.

    All methods are coroutines and must never block the event loop: the backend
    runs inside the ASGI web process next to the consumers. ``ice_servers`` are
    the STUN/TURN servers for this session in the browser's JSON shape (the
    consumers build them from settings, with short-lived TURN credentials).
    """

    @abc.abstractmethod
    async def publish(
        self,
        incident_id: int,
        offer: SessionDescription,
        *,
        ice_servers: list[IceServer] | None = None,
    ) -> SessionDescription:
        """Accept the caller's offer (video, and audio if sent); return the answer.

        A new offer for an incident that already has a publisher replaces it (the
        caller reloaded the page or changed network); viewers stay connected.
        """

    @abc.abstractmethod
    async def subscribe(
        self,
        incident_id: int,
        viewer_id: str,
        offer: SessionDescription,
        *,
        ice_servers: list[IceServer] | None = None,
    ) -> SessionDescription:
        """Accept a viewer's receive-only offer; return the answer.

        A viewer may subscribe before the caller publishes; frames flow as soon as
        they exist. A new offer from the same ``viewer_id`` replaces its connection.
        """

    @abc.abstractmethod
    async def add_ice_candidate(
        self, incident_id: int, peer_id: str, candidate: dict[str, Any]
    ) -> None:
        """Add a trickled candidate (``RTCIceCandidate.toJSON()``) of a peer.

        ``peer_id`` is :data:`PUBLISHER` or a viewer id. An empty ``candidate``
        string means end of candidates.
        """

    @abc.abstractmethod
    async def unpublish(self, incident_id: int) -> None:
        """Drop the caller's connection; viewers stay, waiting for a new one."""

    @abc.abstractmethod
    async def unsubscribe(self, incident_id: int, viewer_id: str) -> None:
        """Drop one viewer's connection."""

    @abc.abstractmethod
    async def start_recording(self, incident_id: int, path: Path) -> None:
        """Start writing the caller's video to ``path`` (a new file)."""

    @abc.abstractmethod
    async def stop_recording(self, incident_id: int) -> RecordingInfo | None:
        """Finish the recording; ``None`` if none was running."""

    @abc.abstractmethod
    async def stats(self, incident_id: int) -> MediaStats:
        """Who is connected and whether frames arrive."""

    @abc.abstractmethod
    async def close(self, incident_id: int) -> None:
        """End the incident's media: all peers, and the recording if one runs."""

    @abc.abstractmethod
    async def shutdown(self) -> None:
        """Close every incident (the web process is stopping)."""


media_backends: Registry[type[MediaBackend]] = Registry("media backend")
