"""Bots for `benchmarks/live119_media.py`: a caller and viewers in their own process.

They talk to the hub process through its JSON-lines signalling server and print
one JSON line with their results. Not meant to be run by hand.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from yorisou.emergency.media import SessionDescription
from yorisou.emergency.media.testing import (
    SyntheticVideoTrack,
    ViewerBot,
    caller_publish,
)

WIDTH, HEIGHT = 640, 480


class RemoteHub:
    """The two calls the bots need, sent to the hub process (duck-typed backend)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.lock = asyncio.Lock()

    async def call(self, **request: object) -> dict:
        async with self.lock:
            self.writer.write(json.dumps(request).encode() + b"\n")
            await self.writer.drain()
            return json.loads(await self.reader.readline())

    async def publish(self, incident_id: int, offer: SessionDescription):
        reply = await self.call(op="publish", incident=incident_id, sdp=offer.sdp)
        return SessionDescription(sdp=reply["sdp"], type="answer")

    async def subscribe(self, incident_id: int, viewer_id: str, offer):
        reply = await self.call(
            op="subscribe", incident=incident_id, viewer=viewer_id, sdp=offer.sdp
        )
        return SessionDescription(sdp=reply["sdp"], type="answer")


async def bytes_received(viewer: ViewerBot) -> int:
    report = await viewer.pc.getStats()
    return sum(
        stat.bytesReceived for stat in report.values() if stat.type == "transport"
    )


async def wait_connected(viewer: ViewerBot, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while viewer.pc.connectionState != "connected":
        if time.monotonic() > deadline:
            raise TimeoutError("viewer did not connect")
        await asyncio.sleep(0.005)


async def latency(hub: RemoteHub, runs: int) -> dict:
    seconds = []
    for run in range(runs):
        incident = 1000 + run
        viewer = ViewerBot("dispatcher")
        await viewer.connect(hub, incident)  # type: ignore[arg-type]
        await wait_connected(viewer)
        started = time.monotonic()  # the caller presses "start"
        caller = await caller_publish(
            hub,  # type: ignore[arg-type]
            incident,
            SyntheticVideoTrack(WIDTH, HEIGHT),
        )
        await asyncio.wait_for(viewer.first_frame.wait(), 10)
        seconds.append(viewer.frames[0][0] - started)
        await viewer.close()
        await caller.close()
        await hub.call(op="close", incident=incident)
    return {"seconds": seconds}


async def cpu(hub: RemoteHub, seconds: float, counts: list[int]) -> dict:
    incident = 1
    track = SyntheticVideoTrack(WIDTH, HEIGHT)
    caller = await caller_publish(hub, incident, track)  # type: ignore[arg-type]
    viewers: list[ViewerBot] = []
    phases = []
    for count in counts:
        while len(viewers) < count:
            viewer = ViewerBot(f"viewer-{len(viewers)}")
            await viewer.connect(hub, incident)  # type: ignore[arg-type]
            viewers.append(viewer)
        for viewer in viewers:
            await wait_connected(viewer)
        await asyncio.sleep(3)  # warm-up: encoders started, bitrate settled
        sent, got = track.sent, [len(v.frames) for v in viewers]
        octets = [await bytes_received(v) for v in viewers]
        wall, own = time.monotonic(), time.process_time()
        await hub.call(op="mark", name=f"{count}-start")
        await asyncio.sleep(seconds)
        await hub.call(op="mark", name=f"{count}-end")
        elapsed = time.monotonic() - wall
        kbps = [
            8 * (await bytes_received(v) - n) / elapsed / 1000
            for v, n in zip(viewers, octets, strict=True)
        ]
        phases.append(
            {
                "viewers": count,
                "sent_fps": (track.sent - sent) / elapsed,
                "viewer_fps": [
                    (len(v.frames) - n) / elapsed
                    for v, n in zip(viewers, got, strict=True)
                ],
                "viewer_kbps": kbps,
                "bots_cpu_percent": 100 * (time.process_time() - own) / elapsed,
            }
        )
    # The last number of viewers again, with the recorder running.
    await hub.call(op="record", incident=incident, on=True)
    await asyncio.sleep(3)
    await hub.call(op="mark", name=f"{counts[-1]}-rec-start")
    await asyncio.sleep(seconds)
    await hub.call(op="mark", name=f"{counts[-1]}-rec-end")
    recording = await hub.call(op="record", incident=incident, on=False)
    phases.append({"viewers": counts[-1], "recording": recording})
    for viewer in viewers:
        await viewer.close()
    await caller.close()
    await hub.call(op="close", incident=incident)
    return {"phases": phases}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("mode", choices=["latency", "cpu"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--viewers", default="0,1,2,4")
    args = parser.parse_args()

    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    hub = RemoteHub(reader, writer)
    if args.mode == "latency":
        result = await latency(hub, args.runs)
    else:
        counts = [int(n) for n in args.viewers.split(",")]
        result = await cpu(hub, args.seconds, counts)
    writer.close()
    await writer.wait_closed()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
