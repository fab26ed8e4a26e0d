"""Live119 signalling: many incidents on two server processes and Redis.

Usage (PostgreSQL and Redis on loopback; the figures in docs/performance.md,
"Live119 signalling: 200 incidents on two processes", come from it):
    .venv/bin/python benchmarks/live119_signalling.py

One command does everything:

1. creates the database (``--database``, default ``yorisou_bench_live119``) unless
   it exists and migrates it; the channel layer and the cache use Redis db
   ``--redis-db`` (default 6) with their own prefix (``BENCH_PREFIX``, see
   ``live119_signalling_settings.py``), whose keys are deleted before and after;
2. creates (once) a command centre (情報司令課) with a dispatcher and a fire station
   (中央消防署) with a fire-unit user, and (every run) ``--incidents`` open
   incidents of the centre, each with the station assigned and an SMS invite
   (``services.invite_send``; the ``outbox`` gateway, nothing is sent); the open
   incidents of earlier runs are closed first;
3. starts TWO ``yorisou serve`` processes (uvicorn, one worker each) with
   ``yorisou.conf.production`` (through ``live119_signalling_settings``: only the
   Redis prefixes differ; ``SECURE_SSL_REDIRECT=false`` because the benchmark
   speaks plain HTTP on loopback) and logs the dispatcher and the unit in through
   server A's login form;
4. opens per incident a caller socket (``/ws/live119/caller/<token>/``) on
   server A and a dispatcher and a unit socket (``/ws/live119/incidents/<id>/``)
   on server B, each saying ``hello`` as the pages do; no media (signalling only);
5. after ``--warmup`` seconds, for ``--seconds``: every caller sends a
   ``position`` every ``--position-every`` s (``at``: the send time in ms) and a
   ``chat`` every ``--chat-every`` s, every dispatcher a ``chat`` every
   ``--chat-every`` s (the text carries the send time), at random phases; the
   receivers (dispatcher and unit for the caller's messages, caller and unit for
   the dispatcher's) take the delivery latency against the client's record of
   when that message was sent (same clock, one process); ``--drain`` seconds
   after the window the sockets close and every message of the window not
   received by both of its receivers counts as lost;
6. prints messages/s, p50/p95/p99/max and lost per kind, the CPU used by each
   server, Redis, PostgreSQL, the client and the machine, and stops the servers.

``--py-spy DIR`` records both servers with py-spy during the window (raw
collapsed stacks, for ``--top``-style reading); ``--server-env NAME=VALUE`` passes
a setting under test to the servers.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from _bench import _free_port, _machine, _pct, _process, _wait_http

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
# A fixed key, so that the rows of earlier runs stay readable.
FIELD_KEY = "bGl2ZTExOXNpZ25hbGxpbmdiZW5jaG1hcmtrZXkwMDA="
PASSWORD = "live119-bench-correct-horse"  # noqa: S105 (a benchmark user)
DISPATCHER = "bench-live119-shirei"
UNIT_USER = "bench-live119-chuo"
CENTRE_CODE = "b652030"
STATION_CODE = "b654010"
CELERY_QUEUE = "live119-bench"
KINDS = ("position", "chat caller", "chat dispatcher")
# Phases of the senders and test data, not secrets.
RNG = random.Random()  # noqa: S311


# --- machine and processes -------------------------------------------------------


class CpuMeter:
    """CPU seconds used by named processes (with their children), PostgreSQL,
    Redis and the whole machine, between snapshots."""

    def __init__(self, pids: dict[str, int]) -> None:
        import psutil  # type: ignore[import-untyped]

        self.psutil = psutil
        self.pids = pids

    def _members(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for name, pid in self.pids.items():
            try:
                proc = self.psutil.Process(pid)
                # the client's children are the servers: counted on their own
                children = [] if pid == os.getpid() else proc.children(recursive=True)
                found[name] = [proc, *children]
            except self.psutil.NoSuchProcess:
                found[name] = []
        by_name: dict[str, list[Any]] = {"postgres": [], "redis": []}
        for proc in self.psutil.process_iter(["name"]):
            pname = proc.info["name"] or ""
            if pname.startswith("postgres"):
                by_name["postgres"].append(proc)
            elif pname.startswith("redis-server"):
                by_name["redis"].append(proc)
        return {**found, **by_name}

    def snapshot(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, members in self._members().items():
            total = 0.0
            for proc in members:
                try:
                    times = proc.cpu_times()
                    total += times.user + times.system
                except self.psutil.NoSuchProcess:
                    continue
            totals[name] = total
        cpu = self.psutil.cpu_times()
        totals["machine"] = sum(
            getattr(cpu, f) for f in ("user", "system", "nice", "irq", "softirq")
        )
        return totals


# --- database, Redis, data ------------------------------------------------------


def create_database(url: str) -> None:
    """Create the database named by ``url`` unless it exists."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')  # name from our own option


def redis_clean(url: str, prefix: str) -> int:
    """Delete the benchmark's keys (its prefix and its Celery queue)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    keys += list(client.scan_iter(match=f"*{CELERY_QUEUE}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


@dataclass
class Setup:
    incidents: list[tuple[int, str]]  # (incident id, the caller's token)
    pg_version: str
    setup_seconds: float


def prepare(count: int) -> Setup:
    """Migrate; the centre, the station and their users (once); ``count`` open
    incidents with the station assigned and an invite each (every run)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from yorisou.accounts.models import OrgUnit, RoleAssignment, User
    from yorisou.core.constants import Role
    from yorisou.emergency import services
    from yorisou.emergency.constants import IncidentState
    from yorisou.emergency.models import Incident

    call_command("migrate", verbosity=0)
    # Production serves hashed static files (the login page needs the manifest).
    call_command("collectstatic", interactive=False, verbosity=0)

    def unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
        path = f"{parent.path}/{code}" if parent else code
        made, _ = OrgUnit.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent}
        )
        if made.path != path:
            made.path = path
            made.save(update_fields=["path"])
        return made

    bureau = unit("b65", "ベンチ消防局", "bureau", None)
    ops = unit("b6520", "ベンチ警防部", "department", bureau)
    centre = unit(CENTRE_CODE, "ベンチ情報司令課", "section", ops)
    stations = unit("b6540", "ベンチ消防署", "department", bureau)
    station = unit(STATION_CODE, "ベンチ中央消防署", "section", stations)

    def user(username: str, role: str, org_unit: OrgUnit, scope: Any) -> Any:
        made, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.invalid",
                "display_name": username,
                "org_unit": org_unit,
            },
        )
        if created:
            made.set_password(PASSWORD)
            made.save()
            RoleAssignment.objects.create(user=made, role=role, org_unit=scope)
            RoleAssignment.objects.create(user=made, role=Role.STAFF)
        return made

    dispatcher = user(DISPATCHER, Role.DISPATCHER, centre, None)
    user(UNIT_USER, Role.FIRE_UNIT, station, station)

    started = time.monotonic()
    # The open incidents of earlier runs (benchmark rows only) are closed.
    Incident.objects.filter(centre=centre, state=IncidentState.OPEN).update(
        state=IncidentState.CLOSED, closed_at=timezone.now()
    )
    # Fresh mobile numbers every run (invites are limited per number and hour).
    base = RNG.randrange(1000, 9999)
    made: list[tuple[int, str]] = []
    for i in range(count):
        incident = services.incident_open(
            actor=dispatcher,
            kind="medical",
            caller_phone=f"090{base:04d}{i:04d}",
            address=f"中央区手取本町{1 + i % 20}-{1 + i % 7}",
            notes="benchmark",
        )
        services.unit_assign(actor=dispatcher, incident=incident, unit=station)
        invite = services.invite_send(actor=dispatcher, incident=incident)
        made.append((incident.pk, str(invite.token)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
        pg_version = str(row[0]) if row else "?"
    connection.close()
    return Setup(made, pg_version, time.monotonic() - started)


def login(port: int, username: str) -> str:
    """Sign in through the server's login form; returns the session id.

    Cookies are handled by hand: production marks them ``Secure`` and the
    benchmark speaks plain HTTP on loopback."""
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/accounts/login/", timeout=10) as page:  # noqa: S310
        cookies = SimpleCookie()
        for header in page.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        html = page.read().decode()
    csrf = cookies["csrftoken"].value
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": found.group(1) if found else csrf,
        }
    ).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1)
        f"{base}/accounts/login/",
        data=form,
        headers={
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"{base}/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=30)
        status, headers = response.status, response.headers
    except urllib.error.HTTPError as answer:
        status, headers = answer.code, answer.headers
    got = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        got.load(header)
    if status != 302 or "sessionid" not in got:
        raise SystemExit(f"login of {username} failed: HTTP {status}")
    return got["sessionid"].value


# --- the load --------------------------------------------------------------------


@dataclass
class Sent:
    kind: str
    at: float  # time.time() when sent
    expect: int  # receivers that must get it
    got: int = 0


@dataclass
class Run:
    """What the client sent and received; only messages sent within the measured
    window are registered."""

    window: tuple[float, float] = (float("inf"), float("inf"))
    sent: dict[str, Sent] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    errors: list[str] = field(default_factory=list)
    closed: int = 0
    sockets: int = 0
    # every message sent (warm-up included), to compare with what was stored
    positions_out: int = 0
    chats_out: int = 0

    def measuring(self, now: float) -> bool:
        return self.window[0] <= now < self.window[1]

    def register(self, key: str, kind: str, now: float) -> None:
        if self.measuring(now):
            self.sent[key] = Sent(kind, now, 2)

    def received(self, key: str, now: float) -> None:
        sent = self.sent.get(key)
        if sent is not None:
            sent.got += 1
            self.latency[sent.kind].append((now - sent.at) * 1000)


def _position_key(incident: int, at: int) -> str:
    return f"p{incident}:{at}"


class Incident:
    """One incident's three sockets and their senders and readers."""

    def __init__(self, pk: int, token: str, run: Run) -> None:
        self.pk = pk
        self.token = token
        self.run = run
        self.caller: Any = None
        self.dispatcher: Any = None
        self.unit: Any = None

    async def reader(self, ws: Any, role: str) -> None:
        run = self.run
        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "position" and role != "caller":
                    at = int(message.get("at") or 0)
                    # ``at`` goes through a datetime and back: allow ±1 ms
                    for guess in (at, at + 1, at - 1):
                        key = _position_key(self.pk, guess)
                        if key in run.sent:
                            run.received(key, now)
                            break
                elif kind == "chat":
                    parts = str(message.get("text", "")).split()
                    if len(parts) == 5 and parts[0] == "bench" and parts[2] != role:
                        run.received(f"c{parts[1]}:{parts[2]}:{parts[3]}", now)
                elif kind == "error":
                    run.errors.append(f"{role}: {message.get('code')}")
        except Exception as problem:  # the connection broke: the run goes on
            run.closed += 1
            run.errors.append(f"{role}: {type(problem).__name__} {problem}"[:200])

    async def _send(self, ws: Any, text: str) -> bool:
        """Send; False when the server has closed the socket (counted by the
        reader)."""
        try:
            await ws.send(text)
        except Exception:  # websockets.ConnectionClosed: this sender stops
            return False
        return True

    async def position_loop(self, stop: float, every: float) -> None:
        loop = asyncio.get_running_loop()
        lat, lng = 32.80 + RNG.random() / 100, 130.70 + RNG.random() / 100
        next_at = loop.time() + RNG.random() * every
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            now = time.time()
            if now >= stop:
                return
            at = int(now * 1000)
            lat += 0.00001
            self.run.register(_position_key(self.pk, at), "position", now)
            sent = await self._send(
                self.caller,
                json.dumps(
                    {
                        "type": "position",
                        "lat": round(lat, 6),
                        "lng": round(lng, 6),
                        "accuracy": 12.0,
                        "heading": 90.0,
                        "speed": 1.2,
                        "at": at,
                    }
                ),
            )
            if not sent:
                return
            self.run.positions_out += 1
            next_at += every

    async def chat_loop(self, role: str, stop: float, every: float) -> None:
        ws = self.caller if role == "caller" else self.dispatcher
        loop = asyncio.get_running_loop()
        next_at = loop.time() + RNG.random() * every
        seq = 0
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            now = time.time()
            if now >= stop:
                return
            seq += 1
            self.run.register(f"c{self.pk}:{role}:{seq}", f"chat {role}", now)
            text = f"bench {self.pk} {role} {seq} {now * 1000:.3f}"
            if not await self._send(ws, json.dumps({"type": "chat", "text": text})):
                return
            self.run.chats_out += 1
            next_at += every


async def load(
    *,
    incidents: list[tuple[int, str]],
    port_a: int,
    port_b: int,
    sessions: dict[str, str],
    args: argparse.Namespace,
    meter: CpuMeter,
    profile: Any,
) -> tuple[Run, dict[str, float], float]:
    import websockets

    run = Run()
    objects = [Incident(pk, token, run) for pk, token in incidents]
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def connect(port: int, path: str, cookie: str) -> Any:
        headers = {"Origin": f"http://127.0.0.1:{port}"}
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        async with gate:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}{path}",
                additional_headers=headers,
                open_timeout=60,
                max_queue=None,
            )
            await ws.send(json.dumps({"type": "hello"}))
            run.sockets += 1
            return ws

    async def open_incident(item: Incident) -> None:
        staff = f"/ws/live119/incidents/{item.pk}/"
        item.dispatcher, item.unit = await asyncio.gather(
            connect(port_b, staff, sessions["dispatcher"]),
            connect(port_b, staff, sessions["unit"]),
        )
        item.caller = await connect(port_a, f"/ws/live119/caller/{item.token}/", "")

    started = time.monotonic()
    await asyncio.gather(*(open_incident(item) for item in objects))
    connect_seconds = time.monotonic() - started
    readers = [
        asyncio.create_task(item.reader(ws, role))
        for item in objects
        for ws, role in (
            (item.caller, "caller"),
            (item.dispatcher, "dispatcher"),
            (item.unit, "unit"),
        )
    ]
    await asyncio.sleep(2)  # the answers to hello
    begin = time.time() + args.warmup
    end = begin + args.seconds
    run.window = (begin, end)
    senders = []
    for item in objects:
        senders.append(
            asyncio.create_task(item.position_loop(end, args.position_every))
        )
        senders.append(
            asyncio.create_task(item.chat_loop("caller", end, args.chat_every))
        )
        senders.append(
            asyncio.create_task(item.chat_loop("dispatcher", end, args.chat_every))
        )
    await asyncio.sleep(max(0.0, begin - time.time()))
    before = meter.snapshot()
    spies = profile(args.seconds) if profile else []
    await asyncio.sleep(max(0.0, end - time.time()))
    after = meter.snapshot()
    await asyncio.gather(*senders)
    await asyncio.sleep(args.drain)
    for spy in spies:
        spy.wait()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(
        *(
            ws.close()
            for item in objects
            for ws in (item.caller, item.dispatcher, item.unit)
        ),
        return_exceptions=True,
    )
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
    return run, cpu, connect_seconds


def stored(incidents: list[tuple[int, str]]) -> tuple[int, int]:
    """The positions and the benchmark's chat messages of this run's incidents in
    the database (the positions are stored in batches by each server)."""
    from yorisou.emergency.models import ChatMessage, LocationFix

    ids = [pk for pk, _token in incidents]
    return (
        LocationFix.objects.filter(incident_id__in=ids).count(),
        ChatMessage.objects.filter(
            incident_id__in=ids, text__startswith="bench "
        ).count(),
    )


# --- the report -------------------------------------------------------------------


def report(run: Run, seconds: float) -> tuple[list[str], float]:
    lines = [
        "| messages | sent | sent/s | deliveries measured | p50 ms | p95 ms | "
        "p99 ms | max ms | lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows: list[tuple[str, list[Sent], list[float]]] = [
        (
            kind,
            [s for s in run.sent.values() if s.kind == kind],
            run.latency[kind],
        )
        for kind in KINDS
    ]
    rows.append(
        (
            "all",
            list(run.sent.values()),
            [v for kind in KINDS for v in run.latency[kind]],
        )
    )
    p99 = float("nan")
    for name, sent, latencies in rows:
        lost = sum(max(0, s.expect - s.got) for s in sent)
        p99 = _pct(latencies, 0.99)
        lines.append(
            f"| {name} | {len(sent)} | {len(sent) / seconds:.0f} | "
            f"{len(latencies)} | {_pct(latencies, 0.5):.1f} | "
            f"{_pct(latencies, 0.95):.1f} | {p99:.1f} | "
            f"{max(latencies, default=float('nan')):.0f} | {lost} |"
        )
    return lines, p99


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="yorisou_bench_live119")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument("--prefix", default="yorisou_bench_live119")
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--drain", type=float, default=5)
    parser.add_argument("--position-every", type=float, default=1.0)
    parser.add_argument("--chat-every", type=float, default=5.0)
    parser.add_argument("--connect-concurrency", type=int, default=20)
    parser.add_argument(
        "--settings",
        default="live119_signalling_settings",
        help="settings module of the servers (and of the setup)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers (e.g. a setting under test)",
    )
    parser.add_argument(
        "--py-spy",
        metavar="DIR",
        default="",
        help="record both servers with py-spy during the window (raw stacks)",
    )
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if args.redis_db == 0:
        raise SystemExit("use a Redis database of its own, not db 0")

    database_url = f"{args.pg}/{args.database}"
    redis_url = f"{args.redis}/{args.redis_db}"
    work = Path(tempfile.mkdtemp(prefix="yorisou-live119-bench-"))
    var_dir = Path(tempfile.gettempdir()) / "yorisou-live119-bench-var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BENCH_PREFIX": args.prefix,
        "SECRET_KEY": "benchmark-secret-key-not-for-production-live119-0123456789",
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "YORISOU_VAR_DIR": str(var_dir),
        "CELERY_QUEUE": CELERY_QUEUE,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LIVE119_SMS_GATEWAY": "outbox",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH_DIR)]),
    }
    # The setup runs the invites' SMS task here, into the outbox.
    os.environ.update({**env, "CELERY_TASK_ALWAYS_EAGER": "true"})
    sys.path.insert(0, str(BENCH_DIR))
    for item in args.server_env:
        name, _sep, value = item.partition("=")
        env[name] = value

    import psutil

    load_before = os.getloadavg()
    busy = 1 - psutil.cpu_times_percent(interval=3).idle / 100
    print(
        f"machine before the run: load average {load_before[0]:.2f} / "
        f"{load_before[1]:.2f} / {load_before[2]:.2f}, busy {busy * 100:.0f} % "
        f"of {os.cpu_count()} CPU"
    )
    create_database(database_url)
    removed = redis_clean(redis_url, args.prefix)
    setup = prepare(args.incidents)
    print(
        f"setup: {len(setup.incidents)} incidents with a unit and an invite in "
        f"{setup.setup_seconds:.1f} s; {removed} stale Redis keys removed"
    )

    port_a, port_b = _free_port(), _free_port()
    serve = [sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1"]
    with ExitStack() as stack:
        server_a = stack.enter_context(
            _process([*serve, "--port", str(port_a)], env, work / "server-a.log")
        )
        server_b = stack.enter_context(
            _process([*serve, "--port", str(port_b)], env, work / "server-b.log")
        )
        _wait_http(port_a, server_a)
        _wait_http(port_b, server_b)
        sessions = {
            "dispatcher": login(port_a, DISPATCHER),
            "unit": login(port_a, UNIT_USER),
        }
        meter = CpuMeter(
            {"server A": server_a.pid, "server B": server_b.pid, "client": os.getpid()}
        )

        def profile(seconds: float) -> list[Any]:
            spy_dir = Path(args.py_spy)
            spy_dir.mkdir(parents=True, exist_ok=True)
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            return [
                subprocess.Popen(
                    [
                        spy, "record", "--pid", str(proc.pid), "--duration",
                        str(int(seconds)), "--rate", "100", "--format", "raw",
                        "--output", str(spy_dir / f"server-{name}.txt"),
                        "--nonblocking", "--threads",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for name, proc in (("a", server_a), ("b", server_b))
            ]  # fmt: skip

        run, cpu, connect_seconds = asyncio.run(
            load(
                incidents=setup.incidents,
                port_a=port_a,
                port_b=port_b,
                sessions=sessions,
                args=args,
                meter=meter,
                profile=profile if args.py_spy else None,
            )
        )
    redis_clean(redis_url, args.prefix)
    load_after = os.getloadavg()
    stored_positions, stored_chats = stored(setup.incidents)

    print(
        f"machine: {_machine()}; PostgreSQL {setup.pg_version}; "
        f"Redis db {args.redis_db}"
    )
    print(
        f"servers: 2 × yorisou serve (uvicorn, 1 worker each, {args.settings} = "
        "yorisou.conf.production with its own Redis prefix, SECURE_SSL_REDIRECT=false"
        + "".join(f", {item}" for item in args.server_env)
        + ")"
    )
    print(
        f"load: {args.incidents} incidents × (caller on A, dispatcher + unit on B) = "
        f"{run.sockets} sockets opened in {connect_seconds:.1f} s; position every "
        f"{args.position_every:g} s and chat every {args.chat_every:g} s per caller, "
        f"chat every {args.chat_every:g} s per dispatcher; warm-up {args.warmup:g} s, "
        f"window {args.seconds:g} s, drain {args.drain:g} s"
    )
    lines, p99 = report(run, args.seconds)
    print("\n".join(lines))
    names = ("server A", "server B", "redis", "postgres", "client")
    cpu["other"] = cpu["machine"] - sum(cpu.get(name, 0.0) for name in names)
    print(
        "CPU cores (window): "
        + ", ".join(
            f"{name} {cpu.get(name, 0.0) / args.seconds:.2f}"
            for name in (*names, "other", "machine")
        )
    )
    print(
        f"errors from the servers: {len(run.errors)}"
        + (f" ({', '.join(sorted(set(run.errors))[:5])})" if run.errors else "")
        + f"; sockets closed early: {run.closed}"
    )
    print(
        f"stored once the servers stopped: {stored_positions} positions of "
        f"{run.positions_out} sent, {stored_chats} chat messages of "
        f"{run.chats_out} sent"
    )
    print(
        f"load average after: {load_after[0]:.2f} / {load_after[1]:.2f} / "
        f"{load_after[2]:.2f}; p99 {'≤' if p99 <= 50 else '>'} 50 ms"
    )
    if args.keep_logs:
        print(f"logs: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
