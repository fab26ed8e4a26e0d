"""Bots for tests and benchmarks: a caller that publishes synthetic video, viewers.

They are real aiortc peers; on loopback without STUN they connect with host
candidates only. The consumers' tests and ``benchmarks/live119_media.py`` use
them as well as the media tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from yorisou.emergency.media.base import MediaBackend, SessionDescription

BAR_POSITIONS = 30


class SyntheticVideoTrack(VideoStreamTrack):
    """Grey frames with a white bar that moves one step per frame (30 fps).

    The frames are built once per bar position, so the bot costs little CPU next
    to the hub it exercises. ``sent`` counts the frames handed to the encoder.
    """

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0
        self._planes = [self._picture(i) for i in range(BAR_POSITIONS)]

    def _picture(self, position: int) -> tuple[bytes, bytes, bytes]:
        bar = max(self.width // BAR_POSITIONS, 1)
        row = bytearray([64]) * self.width
        row[position * bar : (position + 1) * bar] = bytes([235]) * bar
        luma = bytes(row) * self.height
        chroma = bytes([128]) * ((self.width // 2) * (self.height // 2))
        return luma, chroma, chroma

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(self.width, self.height, "yuv420p")
        for plane, data in zip(
            frame.planes, self._planes[self.sent % BAR_POSITIONS], strict=True
        ):
            if plane.line_size == plane.width:
                plane.update(data)
            else:  # padded rows
                view, width = memoryview(plane), plane.width
                for y in range(plane.height):
                    start = y * plane.line_size
                    view[start : start + width] = data[y * width : (y + 1) * width]
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


async def caller_publish(
    backend: MediaBackend, incident_id: int, *tracks: MediaStreamTrack
) -> RTCPeerConnection:
    """Publish ``tracks`` as the caller's phone would; returns the peer."""
    pc = RTCPeerConnection()
    for track in tracks:
        pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription
    answer = await backend.publish(
        incident_id, SessionDescription(sdp=offer.sdp, type="offer")
    )
    await pc.setRemoteDescription(
        RTCSessionDescription(sdp=answer.sdp, type=answer.type)
    )
    return pc


@dataclass
class ViewerBot:
    """A dispatcher's console reduced to a receive-only peer that counts frames."""

    viewer_id: str
    audio: bool = False
    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    frames: list[tuple[float, int]] = field(default_factory=list)  # (arrival, pts)
    sizes: set[tuple[int, int]] = field(default_factory=set)
    audio_frames: int = 0
    first_frame: asyncio.Event = field(default_factory=asyncio.Event)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def connect(self, backend: MediaBackend, incident_id: int) -> None:
        self.pc.addTransceiver("video", direction="recvonly")
        if self.audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.on("track", self._on_track)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription
        answer = await backend.subscribe(
            incident_id, self.viewer_id, SessionDescription(sdp=offer.sdp, type="offer")
        )
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer.sdp, type=answer.type)
        )

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._readers.append(asyncio.get_running_loop().create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, VideoFrame):
                self.frames.append((time.monotonic(), frame.pts or 0))
                self.sizes.add((frame.width, frame.height))
                self.first_frame.set()
            else:
                self.audio_frames += 1

    async def wait_frames(self, count: int, timeout: float) -> bool:
        """True once ``count`` frames (more than now) arrived within ``timeout``."""
        target = len(self.frames) + count
        deadline = time.monotonic() + timeout
        while len(self.frames) < target:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
