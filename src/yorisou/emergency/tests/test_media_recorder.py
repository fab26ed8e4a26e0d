"""The recorder keeps arrival times: gaps stay gaps, the file is as long as the call."""

import asyncio
import fractions
import itertools
import threading
import time

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from yorisou.emergency.media.hub import HubBackend
from yorisou.emergency.media.recorder import Recorder
from yorisou.emergency.media.testing import (
    SyntheticVideoTrack,
    ViewerBot,
    caller_publish,
)


class ScheduledTrack(MediaStreamTrack):
    """Frames at the given offsets (seconds from the first recv), then silence.

    Each frame's own pts counts frames at 30 fps, as a sender that knows nothing
    of the pauses would; the recorder must not believe it.
    """

    kind = "video"

    def __init__(self, offsets, size=(320, 240)):
        super().__init__()
        self.offsets = list(offsets)
        self.size = size
        self.index = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        if self.index >= len(self.offsets):
            await asyncio.Event().wait()  # nothing more until stopped
        delay = self.start + self.offsets[self.index] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        width, height = self.size
        frame = VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([16 + self.index % 200]) * plane.buffer_size)
        frame.pts, frame.time_base = self.index * 3000, fractions.Fraction(1, 90000)
        self.index += 1
        return frame


class BurstTrack(MediaStreamTrack):
    """Hands out frames as fast as they are asked for (a decoder catching up)."""

    kind = "video"

    def __init__(self, count, size=(640, 480)):
        super().__init__()
        self.count = count
        self.frame = VideoFrame(size[0], size[1], "yuv420p")
        self.sent = 0

    async def recv(self):
        if self.sent >= self.count:
            raise MediaStreamError
        self.sent += 1
        await asyncio.sleep(0)
        return self.frame


def read_back(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = [
            float(packet.pts * stream.time_base)
            for packet in container.demux(stream)
            if packet.pts is not None
        ]
        assert container.duration is not None
        return container.duration / av.time_base, sorted(pts), stream.codec_context.name


def test_recording_keeps_the_gaps_of_a_10_fps_stream_with_a_pause(tmp_path):
    # 10 fps for 1 s, 1.5 s without frames, 10 fps for 1 s: 20 frames, which a
    # recorder counting frames would squeeze into 0.67 s at 30 fps (2 s at 10 fps).
    offsets = [i / 10 for i in range(10)] + [2.5 + i / 10 for i in range(10)]
    path = tmp_path / "incident-7" / "call.mp4"

    async def scenario():
        recorder = Recorder(ScheduledTrack(offsets), path)
        started = time.monotonic()
        await recorder.start()
        await asyncio.sleep(3.6)
        info = await recorder.stop()
        return info, time.monotonic() - started

    info, wall = asyncio.run(scenario())
    duration, pts, codec = read_back(path)

    assert codec == "h264"
    assert info.frames_received == 20
    assert info.frames_written == 20
    assert info.frames_dropped == 0
    assert info.size_bytes == path.stat().st_size > 0
    assert abs(info.duration_s - duration) < 0.05
    # The file lasts as long as the recording ran (the last picture is held).
    assert duration >= 3.5
    assert duration <= wall + 0.1
    # The pause is in the file: a gap of ~1.6 s between frames 10 and 11.
    gaps = [b - a for a, b in itertools.pairwise(pts)]
    assert 1.4 < max(gaps) < 1.8
    assert (info.stopped_at - info.started_at).total_seconds() >= 3.5


def test_full_queue_drops_frames_and_counts_them_without_blocking(tmp_path):
    path = tmp_path / "burst.mp4"

    async def scenario():
        track = BurstTrack(400)
        recorder = Recorder(track, path, queue_size=4)
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticking = asyncio.get_running_loop().create_task(ticker())
        started = time.monotonic()
        await recorder.start()
        while track.sent < track.count:
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        info = await recorder.stop()
        ticking.cancel()
        return info, ticks, elapsed

    info, ticks, elapsed = asyncio.run(scenario())

    assert info.frames_received == 400
    assert info.frames_dropped > 0
    assert info.frames_written + info.frames_dropped == 400
    assert info.frames_written >= 4
    # The loop kept running while the encoder was busy.
    assert ticks >= elapsed / 0.005 * 0.3


def test_a_phone_that_turns_is_scaled_to_the_recording_size(tmp_path):
    path = tmp_path / "turn.mp4"

    class TurningTrack(ScheduledTrack):
        async def recv(self):
            self.size = (240, 320) if self.index >= 5 else (320, 240)
            return await super().recv()

    async def scenario():
        recorder = Recorder(TurningTrack([i / 20 for i in range(10)]), path)
        await recorder.start()
        await asyncio.sleep(0.8)
        return await recorder.stop()

    info = asyncio.run(scenario())

    assert info.frames_written == 10
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert {(f.width, f.height) for f in frames} == {(320, 240)}


def test_hub_records_the_relayed_video_while_viewers_watch(tmp_path):
    path = tmp_path / "hub.mp4"

    async def scenario():
        hub = HubBackend()
        caller = await caller_publish(hub, 9, SyntheticVideoTrack())
        viewer = ViewerBot("dispatcher")
        await viewer.connect(hub, 9)
        assert await viewer.wait_frames(5, timeout=5)
        await hub.start_recording(9, path)
        recording = (await hub.stats(9))["recording"]
        started = time.monotonic()
        await asyncio.sleep(1.5)
        info = await hub.stop_recording(9)
        wall = time.monotonic() - started
        again = await hub.stop_recording(9)
        more = await viewer.wait_frames(5, timeout=3)
        await viewer.close()
        await caller.close()
        await hub.shutdown()
        return recording, info, wall, again, more

    recording, info, wall, again, more = asyncio.run(scenario())
    duration, _pts, _ = read_back(path)

    assert recording is True
    assert again is None
    assert more  # the viewer is not disturbed by the recording's end
    assert info.path == path
    assert info.frames_written >= 30
    assert abs(duration - wall) < 0.25
    assert not [t for t in threading.enumerate() if t.name.startswith("live119-")]
