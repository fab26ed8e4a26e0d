"""Live119 media hub: time to first frame, and CPU per viewer.

Usage:
    .venv/bin/python benchmarks/live119_media.py                 # both measures
    .venv/bin/python benchmarks/live119_media.py --only latency --runs 20
    .venv/bin/python benchmarks/live119_media.py --only cpu --seconds 20

This process runs the ``hub`` media backend (aiortc) and a small JSON-lines
signalling server on loopback. The caller and viewer bots (real aiortc peers,
synthetic 640×480 video at 30 fps) run in a second process,
``benchmarks/live119_bots.py``, so the CPU measured here is the hub's alone.

- latency: a viewer (the dispatcher) is connected and waiting; the clock starts
  when the caller creates its peer connection and offer, and stops when the
  viewer has decoded the first frame that went through the hub. Median of
  ``--runs`` runs, each on a new incident.
- cpu: one caller publishes; the hub serves 0, 1, 2 and 4 viewers for
  ``--seconds`` each (after a warm-up). The hub process's CPU time (all threads:
  decoder, encoders, event loop) over wall time gives % of one core; the cost per
  viewer is (cpu(n) - cpu(0)) / n.

Measure on a quiet machine: the script prints the load average before and after.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from yorisou.emergency.media import SessionDescription  # noqa: E402
from yorisou.emergency.media.hub import HubBackend  # noqa: E402


class HubServer:
    """Signalling for the bots: one JSON object per line, answered in order."""

    def __init__(self) -> None:
        self.hub = HubBackend()
        self.marks: dict[str, tuple[float, float]] = {}

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while line := await reader.readline():
            request = json.loads(line)
            reply = await self.dispatch(request)
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        writer.close()

    async def dispatch(self, request: dict) -> dict:
        op = request["op"]
        if op in {"publish", "subscribe"}:
            offer = SessionDescription(sdp=request["sdp"], type="offer")
            if op == "publish":
                answer = await self.hub.publish(request["incident"], offer)
            else:
                answer = await self.hub.subscribe(
                    request["incident"], request["viewer"], offer
                )
            return {"sdp": answer.sdp, "type": answer.type}
        if op == "record":
            if request["on"]:
                path = Path(tempfile.mkdtemp(prefix="live119-bench-")) / "call.mp4"
                await self.hub.start_recording(request["incident"], path)
                return {}
            info = await self.hub.stop_recording(request["incident"])
            assert info is not None
            info.path.unlink()
            return {
                "frames_written": info.frames_written,
                "dropped": info.frames_dropped,
            }
        if op == "close":
            await self.hub.close(request["incident"])
            return {}
        if op == "mark":
            self.marks[request["name"]] = (time.monotonic(), time.process_time())
            return {}
        raise ValueError(op)


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


async def run_bots(port: int, args: list[str]) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "benchmarks" / "live119_bots.py"),
        "--port",
        str(port),
        *args,
        stdout=subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise SystemExit(f"bots failed ({process.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["latency", "cpu"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--viewers", default="0,1,2,4")
    args = parser.parse_args()

    server = HubServer()
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"
    )
    print(f"python {platform.python_version()}; load average before: {load()}")

    if args.only in (None, "latency"):
        result = await run_bots(port, ["latency", "--runs", str(args.runs)])
        times = sorted(result["seconds"])
        print(
            f"caller start -> first decoded frame at the viewer, {len(times)} runs: "
            f"median {statistics.median(times):.3f} s, "
            f"min {times[0]:.3f} s, max {times[-1]:.3f} s"
        )

    if args.only in (None, "cpu"):
        result = await run_bots(
            port, ["cpu", "--seconds", str(args.seconds), "--viewers", args.viewers]
        )
        base = None
        percents: dict[int, float] = {}
        for phase in result["phases"]:
            n = phase["viewers"]
            key = f"{n}-rec" if phase.get("recording") else str(n)
            (t0, c0), (t1, c1) = (
                server.marks[f"{key}-start"],
                server.marks[f"{key}-end"],
            )
            percent = 100 * (c1 - c0) / (t1 - t0)
            phase["without"] = percents.get(n, 0.0)
            percents.setdefault(n, percent)
            if n == 0:
                base = percent
            if phase.get("recording"):
                print(
                    f"{n} viewers and recording: hub {percent:.1f} % of one core "
                    f"(+{percent - phase['without']:.1f} % for the recorder; "
                    f"{phase['recording']})"
                )
                continue
            per_viewer = (
                f", {(percent - base) / n:.1f} % per viewer"
                if n and base is not None
                else ""
            )
            print(
                f"{n} viewers: hub {percent:.1f} % of one core{per_viewer}; "
                f"caller sent {phase['sent_fps']:.1f} fps, viewers got "
                f"{', '.join(f'{x:.1f}' for x in phase['viewer_fps']) or '-'} fps "
                f"at {', '.join(f'{x:.0f}' for x in phase['viewer_kbps']) or '-'} "
                "kbit/s; "
                f"bots {phase['bots_cpu_percent']:.0f} %"
            )

    await server.hub.shutdown()
    tcp.close()
    await tcp.wait_closed()
    print(f"load average after: {load()}")


if __name__ == "__main__":
    asyncio.run(main())
