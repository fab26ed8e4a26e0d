"""Recording of the caller's video (録画) with the frames' arrival times.

Each frame's timestamp is the time it arrived, measured from the start of the
recording: frames lost on the network or dropped under load leave gaps (the
player holds the previous picture), they never make the file shorter than the
call. At ``stop()`` the last picture is written once more at the stop time, so the
file covers the whole recording even when the caller's video froze before it.

Encoding and muxing run in a worker thread fed through a bounded queue; the event
loop only takes frames from the track and puts them in the queue. When the queue
is full (the machine cannot keep up) frames are dropped and counted, the loop is
never blocked.

The file is fragmented MP4 with H.264 (libx264): it plays in every browser, and
a recording cut short by a crash is readable up to its last fragment.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from yorisou.emergency.media.base import RecordingInfo

logger = logging.getLogger(__name__)

CLOCK_RATE = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
# The nominal rate only tells the encoder what to expect; timestamps are real.
NOMINAL_FPS = 30
KEYFRAME_SECONDS = 2  # one MP4 fragment per keyframe interval


@dataclass(frozen=True, slots=True)
class _Item:
    frame: VideoFrame
    pts: int  # arrival time since the start of the recording, in TIME_BASE


@dataclass(frozen=True, slots=True)
class _Stop:
    pts: int


class Recorder:
    """Writes a video track to ``path`` (fragmented MP4, H.264) until ``stop()``.

    ``queue_size`` frames may wait for the encoder (3 s at 30 fps by default);
    beyond that new frames are dropped and counted in ``frames_dropped``.
    """

    def __init__(
        self, track: MediaStreamTrack, path: Path, *, queue_size: int = 90
    ) -> None:
        self.track = track
        self.path = path
        self.frames_received = 0
        self.frames_dropped = 0
        self.frames_written = 0  # updated by the worker thread
        self._queue: queue.Queue[_Item | _Stop] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(
            target=self._work, name=f"live119-recorder-{path.name}", daemon=True
        )
        self._reader: asyncio.Task[None] | None = None
        self._clock_start = 0.0
        self._started_at: datetime | None = None
        self._last_pts = -1
        self._error: BaseException | None = None
        self._duration_s = 0.0
        self._size_bytes = 0

    async def start(self) -> None:
        """Start reading the track; the file is opened in the worker thread."""
        if self._reader is not None:
            raise RuntimeError("recorder already started")
        self._clock_start = time.monotonic()
        self._started_at = datetime.now(UTC)
        self._thread.start()
        self._reader = asyncio.get_running_loop().create_task(
            self._read(), name=f"live119-recorder-{self.path.name}"
        )

    async def stop(self) -> RecordingInfo:
        """Stop reading, flush the encoder, close the file and describe it."""
        if self._reader is None or self._started_at is None:
            raise RuntimeError("recorder not started")
        self._reader.cancel()
        # gather() reports the reader's cancellation as a result, but a
        # cancellation of stop() itself still propagates.
        await asyncio.gather(self._reader, return_exceptions=True)
        stopped_at = datetime.now(UTC)
        stop = _Stop(pts=self._now_pts())
        # The queue may be full: wait for room in a thread, not on the loop.
        await asyncio.to_thread(self._queue.put, stop)
        await asyncio.to_thread(self._thread.join)
        if self._error is not None:
            logger.error("live119 recording %s failed: %r", self.path, self._error)
        return RecordingInfo(
            path=self.path,
            started_at=self._started_at,
            stopped_at=stopped_at,
            duration_s=self._duration_s,
            frames_received=self.frames_received,
            frames_written=self.frames_written,
            frames_dropped=self.frames_dropped,
            size_bytes=self._size_bytes,
        )

    # -- event loop side -----------------------------------------------------------

    def _now_pts(self) -> int:
        return int((time.monotonic() - self._clock_start) * CLOCK_RATE)

    async def _read(self) -> None:
        while True:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                return
            # The arrival time, taken before anything else can delay it.
            pts = max(self._now_pts(), self._last_pts + 1)
            if not isinstance(frame, VideoFrame):
                continue
            self.frames_received += 1
            if self._error is not None:
                self.frames_dropped += 1
                continue
            try:
                self._queue.put_nowait(_Item(frame, pts))
            except queue.Full:
                self.frames_dropped += 1
                continue
            self._last_pts = pts

    # -- worker thread ---------------------------------------------------------------

    def _work(self) -> None:
        writer: _Writer | None = None
        stopping = False
        try:
            while True:
                item = self._queue.get()
                if isinstance(item, _Stop):
                    stopping = True
                    if writer is not None:
                        writer.finish(item.pts)
                        self._duration_s = writer.duration_s()
                    break
                if writer is None:
                    writer = _Writer(self.path, item.frame.width, item.frame.height)
                writer.write(item.frame, item.pts)
                self.frames_written += 1
        except BaseException as exc:
            self._error = exc
            # Keep draining so the loop's put() in stop() never waits forever.
            while not stopping:
                stopping = isinstance(self._queue.get(), _Stop)
        finally:
            if writer is not None:
                writer.close()
            if self.path.exists():
                self._size_bytes = self.path.stat().st_size
            if self._error is None and writer is not None:
                self._duration_s = _container_duration(self.path, self._duration_s)


class _Writer:
    """The encoder and muxer; lives in the recorder's worker thread only."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.width, self.height = width, height
        self.container = av.open(
            str(path),
            "w",
            format="mp4",
            options={"movflags": "+frag_keyframe+empty_moov+default_base_moof"},
        )
        stream = self.container.add_stream("libx264", rate=NOMINAL_FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        context = stream.codec_context
        context.time_base = TIME_BASE
        context.gop_size = NOMINAL_FPS * KEYFRAME_SECONDS
        context.thread_count = 2
        # zerolatency: no B-frames and no lookahead, so memory and delay stay small
        context.options = {"preset": "veryfast", "tune": "zerolatency", "crf": "26"}
        self.stream = stream
        self.last: VideoFrame | None = None
        self.last_pts = -1
        self.open = True

    def write(self, frame: VideoFrame, pts: int) -> None:
        own = _private_copy(frame, self.width, self.height)
        own.pts = pts
        own.time_base = TIME_BASE
        self._encode(own)
        self.last, self.last_pts = own, pts

    def finish(self, stop_pts: int) -> None:
        """Hold the last picture until the stop time, then flush the encoder."""
        frame_ticks = CLOCK_RATE // NOMINAL_FPS
        hold_pts = stop_pts - frame_ticks
        if self.last is not None and hold_pts > self.last_pts:
            # A new frame object: the encoder may still hold a reference to the last.
            held = _private_copy(self.last, self.width, self.height)
            held.pts = hold_pts
            held.time_base = TIME_BASE
            self._encode(held)
        for packet in self.stream.encode(None):
            self.container.mux(packet)

    def duration_s(self) -> float:
        last = max(self.last_pts, 0)
        return (last + CLOCK_RATE // NOMINAL_FPS) / CLOCK_RATE

    def close(self) -> None:
        if self.open:
            self.open = False
            self.container.close()

    def _encode(self, frame: VideoFrame) -> None:
        for packet in self.stream.encode(frame):
            self.container.mux(packet)


def _private_copy(frame: VideoFrame, width: int, height: int) -> VideoFrame:
    """A yuv420p frame of the recording's size that only this thread touches.

    Relayed frames are shared with the viewers' encoders, and PyAV's ``encode``
    rewrites a frame's ``pts`` and ``time_base``; so the recorder never encodes
    the shared object. A phone that turns (480×640) is scaled to the size the
    recording started with.
    """
    if (
        frame.width != width
        or frame.height != height
        or frame.format.name != ("yuv420p")
    ):
        return frame.reformat(width=width, height=height, format="yuv420p")
    copy = VideoFrame(width, height, "yuv420p")
    for source, target in zip(frame.planes, copy.planes, strict=True):
        if source.line_size == target.line_size:
            target.update(source)  # type: ignore[arg-type]  # any buffer
            continue
        src, dst = memoryview(source), memoryview(target)
        row = target.width
        for y in range(target.height):
            s, d = y * source.line_size, y * target.line_size
            dst[d : d + row] = src[s : s + row]
    return copy


def _container_duration(path: Path, fallback: float) -> float:
    """The duration a player sees, read back from the file."""
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return float(container.duration / av.time_base)
    except (av.FFmpegError, OSError):
        logger.warning("live119 recording %s could not be read back", path)
    return fallback
