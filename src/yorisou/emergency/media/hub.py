"""The ``hub`` media backend: an aiortc media hub inside the web process.

Per incident the hub holds one publisher ``RTCPeerConnection`` (the caller's phone)
and one per viewer. The caller's video is decoded once; ``MediaRelay`` hands every
viewer its own proxy of the decoded track and each viewer's sender encodes it (in
aiortc's executor threads). Viewers always receive from a :class:`SwitchableTrack`
whose source is swapped when the caller reconnects, so their connections survive
a new publisher. The recorder reads another proxy of the same track.

Nothing here blocks the event loop: decoding runs in aiortc's decoder thread,
encoding in the default executor, and the recorder in its own thread.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame, VideoFrame
from av.frame import Frame
from av.packet import Packet

from yorisou.emergency.media.base import (
    PUBLISHER,
    IceServer,
    MediaBackend,
    MediaError,
    MediaStats,
    RecordingInfo,
    SessionDescription,
    media_backends,
)
from yorisou.emergency.media.recorder import Recorder

logger = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
# Candidates that arrive before their peer connection exists are kept, up to this.
MAX_PENDING_CANDIDATES = 64


def rtc_configuration(ice_servers: list[IceServer] | None) -> RTCConfiguration:
    """``RTCConfiguration`` from ICE servers in the browser's JSON shape."""
    servers = []
    for server in ice_servers or []:
        urls = server.get("urls", [])
        servers.append(
            RTCIceServer(
                urls=[urls] if isinstance(urls, str) else list(urls),
                username=server.get("username"),
                credential=server.get("credential"),
            )
        )
    return RTCConfiguration(iceServers=servers)


class SwitchableTrack(MediaStreamTrack):
    """A track that outlives its source: viewers keep it while callers come and go.

    A pump task reads the current source and queues its frames; :meth:`switch`
    cancels the pump and starts one on the new source. Frames are re-stamped on
    the hub's clock, so a new source (whose RTP timestamps start anywhere) goes on
    without a jump backwards: video gets its arrival time (1/90000), audio keeps
    its own spacing from an offset taken when the source starts.
    """

    def __init__(self, kind: str, *, buffer: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames: collections.deque[Frame] = collections.deque(maxlen=buffer)
        self._ready = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._source: MediaStreamTrack | None = None
        self._clock_start = time.monotonic()
        self._last_pts = -1
        self._audio_offset: int | None = None
        self.frames_received = 0
        self.last_frame_at: float | None = None  # time.time() of the last frame

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def switch(self, source: MediaStreamTrack | None) -> None:
        """Read from ``source`` from now on (``None``: wait for the next one)."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        self._source = source
        self._audio_offset = None
        if source is not None and self.readyState == "live":
            self._pump = asyncio.get_running_loop().create_task(
                self._run(source), name=f"live119-switch-{self.kind}"
            )

    async def _run(self, source: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await source.recv()
            except MediaStreamError:
                return  # the caller left; keep the track, wait for a new source
            if not isinstance(frame, (VideoFrame, AudioFrame)):
                continue
            self._stamp(frame)
            self.frames_received += 1
            self.last_frame_at = time.time()
            self._frames.append(frame)
            self._ready.set()

    def _stamp(self, frame: VideoFrame | AudioFrame) -> None:
        elapsed = time.monotonic() - self._clock_start
        if isinstance(frame, VideoFrame):
            pts = int(elapsed * VIDEO_CLOCK_RATE)
            frame.time_base = VIDEO_TIME_BASE
        else:
            rate = frame.sample_rate
            wall = int(elapsed * rate)
            if frame.pts is None:
                pts = wall
            else:
                if self._audio_offset is None:
                    self._audio_offset = wall - frame.pts
                pts = frame.pts + self._audio_offset
            frame.time_base = fractions.Fraction(1, rate)
        pts = max(pts, self._last_pts + 1)
        frame.pts = self._last_pts = pts

    async def recv(self) -> Frame | Packet[Any]:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._frames:
                return self._frames.popleft()
            self._ready.clear()
            await self._ready.wait()

    def stop(self) -> None:
        self.switch(None)
        super().stop()
        self._ready.set()  # wake a pending recv() so it raises


async def _relay_finished(relay: MediaRelay) -> None:
    """Wait until the relay's reader tasks have seen their sources end.

    ``MediaRelay`` keeps its tasks private; they end one loop turn after the
    source track stops. Waiting for them makes ``close()`` leave no task behind.
    """
    tasks = list(getattr(relay, "_MediaRelay__tasks", {}).values())
    if tasks:
        await asyncio.wait(tasks, timeout=1.0)


@dataclass
class _Incident:
    """The media of one incident (事案) in this process."""

    video: SwitchableTrack
    audio: SwitchableTrack
    relay: MediaRelay = field(default_factory=MediaRelay)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    publisher: RTCPeerConnection | None = None
    viewers: dict[str, RTCPeerConnection] = field(default_factory=dict)
    viewer_tracks: dict[str, list[MediaStreamTrack]] = field(default_factory=dict)
    recorder: Recorder | None = None
    recorder_track: MediaStreamTrack | None = None
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    closed: bool = False

    def check_open(self) -> None:
        # A call that waited for the lock while close() ran must not revive it.
        if self.closed:
            raise MediaError("the incident's media is closed")


@media_backends.register("hub")
class HubBackend(MediaBackend):
    """aiortc media hub: decode the caller once, encode per viewer, record."""

    def __init__(self) -> None:
        self._incidents: dict[int, _Incident] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- publisher ---------------------------------------------------------------

    async def publish(
        self,
        incident_id: int,
        offer: SessionDescription,
        *,
        ice_servers: list[IceServer] | None = None,
    ) -> SessionDescription:
        incident = self._incident(incident_id)
        async with incident.lock:
            incident.check_open()
            pc = RTCPeerConnection(rtc_configuration(ice_servers))
            tracks: dict[str, MediaStreamTrack] = {}
            pc.on("track", lambda track: tracks.setdefault(track.kind, track))
            answer = await self._answer(pc, offer)
            if not tracks:
                await pc.close()
                raise MediaError("the offer sends no audio or video")
            old, incident.publisher = incident.publisher, pc
            incident.video.switch(tracks.get("video"))
            incident.audio.switch(tracks.get("audio"))
            self._watch(pc, lambda: self._publisher_gone(incident_id, pc))
            await self._add_pending(incident, PUBLISHER, pc)
            if old is not None:
                await old.close()
            return answer

    async def unpublish(self, incident_id: int) -> None:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return
        async with incident.lock:
            await self._drop_publisher(incident)

    async def _publisher_gone(self, incident_id: int, pc: RTCPeerConnection) -> None:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return
        async with incident.lock:
            if incident.publisher is pc:
                await self._drop_publisher(incident)

    async def _drop_publisher(self, incident: _Incident) -> None:
        pc, incident.publisher = incident.publisher, None
        incident.video.switch(None)
        incident.audio.switch(None)
        incident.pending.pop(PUBLISHER, None)
        if pc is not None:
            await pc.close()

    # -- viewers -----------------------------------------------------------------

    async def subscribe(
        self,
        incident_id: int,
        viewer_id: str,
        offer: SessionDescription,
        *,
        ice_servers: list[IceServer] | None = None,
    ) -> SessionDescription:
        if viewer_id == PUBLISHER:
            raise MediaError(f"viewer id {PUBLISHER!r} is reserved")
        incident = self._incident(incident_id)
        async with incident.lock:
            incident.check_open()
            await self._drop_viewer(incident, viewer_id, keep_pending=True)
            pc = RTCPeerConnection(rtc_configuration(ice_servers))
            try:
                await pc.setRemoteDescription(
                    RTCSessionDescription(sdp=offer.sdp, type=offer.type)
                )
            except Exception as exc:
                await pc.close()
                raise MediaError(f"bad offer: {exc}") from exc
            proxies: list[MediaStreamTrack] = []
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "video":
                    # Unbuffered: a slow viewer skips to the latest frame instead
                    # of falling behind (live video, not a file).
                    proxy = incident.relay.subscribe(incident.video, buffered=False)
                elif transceiver.kind == "audio":
                    proxy = incident.relay.subscribe(incident.audio)
                else:
                    continue
                transceiver.sender.replaceTrack(proxy)
                transceiver.direction = "sendonly"
                proxies.append(proxy)
            if not proxies:
                await pc.close()
                raise MediaError("the offer receives no audio or video")
            answer = await self._answer(pc, None)
            incident.viewers[viewer_id] = pc
            incident.viewer_tracks[viewer_id] = proxies
            self._watch(pc, lambda: self._viewer_gone(incident_id, viewer_id, pc))
            await self._add_pending(incident, viewer_id, pc)
            return answer

    async def unsubscribe(self, incident_id: int, viewer_id: str) -> None:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return
        async with incident.lock:
            await self._drop_viewer(incident, viewer_id)

    async def _viewer_gone(
        self, incident_id: int, viewer_id: str, pc: RTCPeerConnection
    ) -> None:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return
        async with incident.lock:
            if incident.viewers.get(viewer_id) is pc:
                await self._drop_viewer(incident, viewer_id)

    async def _drop_viewer(
        self, incident: _Incident, viewer_id: str, *, keep_pending: bool = False
    ) -> None:
        # Stopping the proxies unregisters them from the relay (an audio proxy
        # buffers, so a forgotten one would grow without bound).
        for proxy in incident.viewer_tracks.pop(viewer_id, []):
            proxy.stop()
        if not keep_pending:
            incident.pending.pop(viewer_id, None)
        pc = incident.viewers.pop(viewer_id, None)
        if pc is not None:
            await pc.close()

    # -- ICE ---------------------------------------------------------------------

    async def add_ice_candidate(
        self, incident_id: int, peer_id: str, candidate: dict[str, Any]
    ) -> None:
        incident = self._incident(incident_id)
        # The lock makes a candidate that follows a new offer wait for that offer's
        # connection instead of landing on the one it replaces.
        async with incident.lock:
            if incident.closed:
                return
            if peer_id == PUBLISHER:
                pc = incident.publisher
            else:
                pc = incident.viewers.get(peer_id)
            if pc is None or pc.remoteDescription is None:
                # The browser trickles candidates while its offer is still on
                # the way; keep them for the connection that is being set up.
                pending = incident.pending.setdefault(peer_id, [])
                if len(pending) < MAX_PENDING_CANDIDATES:
                    pending.append(candidate)
                return
            await self._add_candidate(pc, candidate)

    async def _add_pending(
        self, incident: _Incident, peer_id: str, pc: RTCPeerConnection
    ) -> None:
        for candidate in incident.pending.pop(peer_id, []):
            await self._add_candidate(pc, candidate)

    @staticmethod
    async def _add_candidate(pc: RTCPeerConnection, candidate: dict[str, Any]) -> None:
        fragment = candidate.get("usernameFragment")
        if fragment and f"a=ice-ufrag:{fragment}" not in pc.remoteDescription.sdp:
            return  # a late candidate of the connection this one replaced
        line = str(candidate.get("candidate") or "")
        if not line:
            await pc.addIceCandidate(None)  # end of candidates
            return
        try:
            parsed = candidate_from_sdp(line.removeprefix("candidate:"))
        except (ValueError, IndexError, AssertionError) as exc:  # aiortc asserts
            raise MediaError(f"bad ICE candidate: {line[:80]!r}") from exc
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
            parsed.sdpMLineIndex = 0
        await pc.addIceCandidate(parsed)

    # -- recording ---------------------------------------------------------------

    async def start_recording(self, incident_id: int, path: Path) -> None:
        incident = self._incident(incident_id)
        async with incident.lock:
            incident.check_open()
            if incident.recorder is not None:
                raise MediaError(f"incident {incident_id} is already being recorded")
            track = incident.relay.subscribe(incident.video, buffered=False)
            recorder = Recorder(track, path)
            await recorder.start()
            incident.recorder, incident.recorder_track = recorder, track

    async def stop_recording(self, incident_id: int) -> RecordingInfo | None:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return None
        async with incident.lock:
            return await self._stop_recorder(incident)

    @staticmethod
    async def _stop_recorder(incident: _Incident) -> RecordingInfo | None:
        recorder, incident.recorder = incident.recorder, None
        track, incident.recorder_track = incident.recorder_track, None
        if recorder is None:
            return None
        try:
            return await recorder.stop()
        finally:
            if track is not None:
                track.stop()

    # -- state and lifecycle -----------------------------------------------------

    async def stats(self, incident_id: int) -> MediaStats:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return MediaStats(
                publisher_connected=False,
                viewers=[],
                frames_received=0,
                last_frame_at=None,
                recording=False,
            )
        last = incident.video.last_frame_at
        publisher = incident.publisher
        return MediaStats(
            publisher_connected=publisher is not None
            and publisher.connectionState == "connected",
            viewers=sorted(incident.viewers),
            frames_received=incident.video.frames_received,
            last_frame_at=None if last is None else datetime.fromtimestamp(last, UTC),
            recording=incident.recorder is not None,
        )

    async def close(self, incident_id: int) -> None:
        incident = self._incidents.pop(incident_id, None)
        if incident is None:
            return
        incident.closed = True
        async with incident.lock:
            info = await self._stop_recorder(incident)
            if info is not None:
                logger.warning(
                    "live119 incident %s closed while recording; kept %s",
                    incident_id,
                    info.path,
                )
            for viewer_id in list(incident.viewers):
                await self._drop_viewer(incident, viewer_id)
            await self._drop_publisher(incident)
            incident.video.stop()
            incident.audio.stop()
        await _relay_finished(incident.relay)

    async def shutdown(self) -> None:
        for incident_id in list(self._incidents):
            await self.close(incident_id)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- helpers -----------------------------------------------------------------

    def _incident(self, incident_id: int) -> _Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            incident = self._incidents[incident_id] = _Incident(
                video=SwitchableTrack("video", buffer=2),
                audio=SwitchableTrack("audio", buffer=50),
            )
        return incident

    @staticmethod
    async def _answer(
        pc: RTCPeerConnection, offer: SessionDescription | None
    ) -> SessionDescription:
        """Apply ``offer`` (unless already applied) and return the local answer.

        aiortc gathers its ICE candidates in ``setLocalDescription``, so the
        answer carries them all (no trickle from the server side).
        """
        try:
            if offer is not None:
                if offer.type != "offer":
                    raise MediaError(f"expected an offer, got {offer.type!r}")
                await pc.setRemoteDescription(
                    RTCSessionDescription(sdp=offer.sdp, type=offer.type)
                )
            await pc.setLocalDescription(await pc.createAnswer())
        except MediaError:
            await pc.close()
            raise
        except Exception as exc:
            await pc.close()
            raise MediaError(f"bad offer: {exc}") from exc
        local = pc.localDescription
        return SessionDescription(sdp=local.sdp, type="answer")

    def _watch(
        self,
        pc: RTCPeerConnection,
        on_gone: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        """Call ``on_gone()`` (a coroutine function) when ``pc`` fails or closes."""

        def on_state() -> None:
            if pc.connectionState == "failed":
                self._spawn(on_gone())

        pc.on("connectionstatechange", on_state)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
