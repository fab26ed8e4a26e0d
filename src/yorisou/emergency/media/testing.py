"""Bots for tests and benchmarks: a caller that publishes synthetic video, viewers.

They are real aiortc peers; on loopback without STUN they connect with host
candidates only. The consumers' tests and ``benchmarks/live119_media.py`` use
them as well as the media tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
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
BLOCK = 16  # pixels per block of the scene
PAN_STEP = 4  # pixels the camera pans per frame


class SyntheticVideoTrack(VideoStreamTrack):
    """A camera pan over a blocky random scene with a moving white bar (30 fps).

    The scene has sharp edges everywhere and moves every frame, so encoders work
    at least as hard as with a hand-held phone camera (a flat picture would
    flatter the hub). Frames
    are built once per position, so the bot costs little CPU next to the hub it
    exercises. ``sent`` counts the frames handed to the encoder.
    """

    def __init__(self, width: int = 320, height: int = 240, seed: int = 119) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0
        rng = random.Random(seed)  # noqa: S311 (a test picture, not a secret)
        self._luma_rows = [
            self._texture(rng, width, BLOCK, 32, 224) for _ in range(height // BLOCK)
        ]
        self._chroma_rows = [
            self._texture(rng, width // 2, BLOCK // 2, 104, 152)
            for _ in range(height // BLOCK)
        ]
        self._planes = [self._picture(i) for i in range(BAR_POSITIONS)]

    @staticmethod
    def _texture(
        rng: random.Random, width: int, block: int, low: int, high: int
    ) -> bytes:
        """One band of blocks, twice as wide as the picture (room to pan)."""
        values = [rng.randrange(low, high) for _ in range(2 * width // block + 1)]
        return b"".join(bytes([v]) * block for v in values)

    def _picture(self, position: int) -> tuple[bytes, bytes, bytes]:
        w, h = self.width, self.height
        shift = position * PAN_STEP
        luma = bytearray()
        for y in range(h):
            band = self._luma_rows[min(y // BLOCK, len(self._luma_rows) - 1)]
            luma += band[shift : shift + w]
        bar = max(w // BAR_POSITIONS, 1)
        for y in range(h // 3, 2 * h // 3):
            start = y * w + position * bar
            luma[start : start + bar] = bytes([235]) * bar
        chroma = bytearray()
        for y in range(h // 2):
            band = self._chroma_rows[min(2 * y // BLOCK, len(self._chroma_rows) - 1)]
            chroma += band[shift // 2 : shift // 2 + w // 2]
        return bytes(luma), bytes(chroma), bytes(reversed(chroma))

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
