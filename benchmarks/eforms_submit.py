"""Submit throughput of online applications through the production-style server.

Usage (PostgreSQL and Redis on loopback; the numbers in docs/performance.md come
from it):
    .venv/bin/python benchmarks/eforms_submit.py

One command does everything:

1. creates the database (``--database``, default ``yorisou_bench``) unless it
   exists, migrates it, and creates a 20-field form (``bench-20``: text, kana,
   date, choice, multiple choice, checkbox, number, phone, email, address,
   textarea; a visibility condition and a rule), published, open, assurance
   ``account``, plus ``--citizens`` citizen users with API tokens;
2. starts ``yorisou serve --workers W`` (uvicorn) with ``yorisou.conf.production``
   (``DEBUG`` off, the production middleware and settings), Redis db 5 as cache
   and broker, and, with ``--celery-worker``, a Celery worker that runs the
   tasks queued on commit (receipt PDF and email, statistics, audit sealing);
   without it the tasks are only queued to Redis;
3. runs Locust headless on loopback (``benchmarks/locustfile_eforms.py``,
   FastHttpUser) twice against the same server: first ``GET /healthz`` (the
   ceiling: the cheapest URL of the same server, one ``SELECT 1``), as fast as the
   users can go; then ``POST /api/v1/applications/`` with fresh
   ``Idempotency-Key`` values at ``--rate`` submissions/s (0: as fast as they
   can), ``--retry-share`` of them repeating a key already answered 201 (they must
   answer 200 with the same application). Each phase has a ``--warmup`` and a
   measured window of ``--seconds``;
4. checks that every 201 has its application with a ``received`` status row and
   its audit event (none lost), that no key has two applications (none
   duplicated), and prints requests/s, p50/p95/p99, errors, the CPU used by the
   server, the load generator, PostgreSQL, Redis and Celery, and the machine.

Use a dedicated database and Redis db: the script flushes Redis db ``--redis-db``
(default 5) before each phase so that throttle counters and queued tasks of an
earlier run do not count.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _bench import _free_port, _machine, _pct, _process, _wait_http

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_eforms.py"
FORM_SLUG = "bench-20"
# A fixed key, so that applications of earlier runs stay readable.
FIELD_KEY = "bmZ0T3RQcWx2U2ZqQ2R4WEV3b1lCcUt6TW5IYkdWYTA="


def _label(ja: str, en: str) -> dict[str, str]:
    return {"ja": ja, "en": en}


def _options(*values: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"value": v, "label": _label(ja, en)} for v, ja, en in values]


def form_definition() -> dict[str, Any]:
    """A 20-field application in three steps, with mixed field types."""
    applicant = [
        {
            "key": "name",
            "type": "text",
            "label": _label("氏名", "Name"),
            "required": True,
            "max_length": 60,
        },
        {
            "key": "kana",
            "type": "text",
            "label": _label("フリガナ", "Kana"),
            "required": True,
            "kana": True,
            "max_length": 60,
        },
        {
            "key": "birthdate",
            "type": "date",
            "label": _label("生年月日", "Birth"),
            "required": True,
            "min": "1900-01-01",
            "max": "today",
        },
        {
            "key": "gender",
            "type": "choice",
            "label": _label("性別", "Gender"),
            "options": _options(
                ("male", "男", "Male"),
                ("female", "女", "Female"),
                ("other", "その他", "Other"),
            ),
        },
        {
            "key": "phone",
            "type": "phone",
            "label": _label("電話番号", "Phone"),
            "required": True,
        },
        {
            "key": "email",
            "type": "email",
            "label": _label("メール", "Email"),
            "required": True,
        },
        {
            "key": "address",
            "type": "address",
            "label": _label("住所", "Address"),
            "required": True,
        },
        {
            "key": "household",
            "type": "number",
            "label": _label("世帯人数", "Size"),
            "required": True,
            "min": 1,
            "max": 20,
            "unit": "人",
        },
    ]
    details = [
        {
            "key": "purpose",
            "type": "choice",
            "label": _label("使いみち", "Purpose"),
            "required": True,
            "widget": "select",
            "options": _options(*[(f"p{i}", f"用途{i}", f"Use {i}") for i in range(8)]),
        },
        {
            "key": "copies",
            "type": "number",
            "label": _label("通数", "Copies"),
            "required": True,
            "min": 1,
            "max": 10,
            "unit": "通",
        },
        {
            "key": "period_from",
            "type": "date",
            "label": _label("開始日", "From"),
            "required": True,
        },
        {"key": "period_to", "type": "date", "label": _label("終了日", "To")},
        {
            "key": "income",
            "type": "number",
            "label": _label("年収", "Income"),
            "min": 0,
            "max": 100000000,
            "unit": "円",
        },
        {
            "key": "employer",
            "type": "text",
            "label": _label("勤務先", "Employer"),
            "max_length": 100,
        },
        {
            "key": "employer_phone",
            "type": "phone",
            "label": _label("勤務先電話", "Work phone"),
            "visible_if": {"!=": [{"var": "employer"}, ""]},
        },
        {
            "key": "delivery",
            "type": "choice",
            "label": _label("受取", "Delivery"),
            "required": True,
            "multiple": True,
            "min": 1,
            "max": 2,
            "options": _options(
                ("post", "郵送", "Post"),
                ("counter", "窓口", "Counter"),
                ("online", "電子", "Online"),
            ),
        },
        {
            "key": "contact",
            "type": "choice",
            "label": _label("連絡方法", "Contact"),
            "options": _options(
                ("phone", "電話", "Phone"), ("email", "メール", "Email")
            ),
        },
        {
            "key": "note",
            "type": "textarea",
            "label": _label("備考", "Notes"),
            "max_length": 600,
        },
    ]
    confirm = [
        {
            "key": "agree_terms",
            "type": "checkbox",
            "label": _label("同意", "Terms"),
            "required": True,
        },
        {
            "key": "agree_privacy",
            "type": "checkbox",
            "label": _label("個人情報", "Privacy"),
            "required": True,
        },
    ]
    return {
        "schema": 1,
        "title": _label("ベンチマーク申請（20項目）", "Benchmark application (20)"),
        "steps": [
            {"key": "applicant", "title": _label("申請者", "Applicant"),
             "fields": applicant},
            {"key": "details", "title": _label("内容", "Details"), "fields": details},
            {"key": "confirm", "title": _label("確認", "Confirm"), "fields": confirm},
        ],
        "rules": [
            {"if": {"and": [{"in": ["post", {"var": "delivery"}]},
                            {">": [{"var": "copies"}, 5]}]},
             "field": "copies",
             "message": _label("郵送は5通までです。", "Up to 5 copies by post.")},
        ],
    }  # fmt: skip


def sample_answers(count: int) -> list[dict[str, Any]]:
    """Valid answers, as a client would send them (some in the formats people
    type: full-width digits, hiragana, 和暦)."""
    names = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健"]
    kanas = ["やまだ たろう", "サトウ ハナコ", "スズキ イチロウ", "たかはし みさき"]
    wareki = "昭和60年4月1日"
    answers = []
    for i in range(count):
        answers.append(
            {
                "name": names[i % len(names)],
                "kana": kanas[i % len(kanas)],
                "birthdate": wareki if i % 3 == 0 else f"1975-05-0{1 + i % 9}",
                "gender": ["male", "female", "other"][i % 3],
                "phone": "096-328-2111" if i % 2 else "０９０－１２３４－５６７８",
                "email": f"user{i}@Example.JP",
                "address": {
                    "postal_code": "860-8601",
                    "prefecture": "熊本県",
                    "city": "熊本市中央区",
                    "line1": f"手取本町1-{1 + i % 20}",
                    "line2": "" if i % 2 else f"{i}号室",
                },
                "household": str(1 + i % 6),
                "purpose": f"p{i % 8}",
                "copies": 1 + i % 5,
                "period_from": "2026-04-01",
                "period_to": "R9.3.31",
                "income": 3_000_000 + 1000 * i,
                "employer": "" if i % 4 == 0 else "株式会社サンプル",
                "employer_phone": "" if i % 4 == 0 else "03-1234-5678",
                "delivery": ["post"] if i % 2 else ["online", "counter"],
                "contact": ["phone", "email"][i % 2],
                "note": "特になし。" * (1 + i % 5),
                "agree_terms": True,
                "agree_privacy": True,
            }
        )  # fmt: skip
    return answers


def create_database(url: str) -> None:
    """Create the database named by ``url`` unless it exists."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')  # name from our own option


def prepare(citizens: int) -> tuple[list[str], list[int], str]:
    """Migrate, create the form and the citizens; returns tokens, user ids and
    the PostgreSQL version."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from rest_framework.authtoken.models import Token

    from yorisou.accounts.models import OrgUnit, RoleAssignment, User
    from yorisou.core.constants import Role
    from yorisou.core.permissions import SYSTEM
    from yorisou.eforms import services
    from yorisou.eforms.models import FormDefinition
    from yorisou.procedures.models import Procedure

    call_command("migrate", verbosity=0)
    # Production serves hashed static files (error pages need the manifest).
    call_command("collectstatic", interactive=False, verbosity=0)
    section, _ = OrgUnit.objects.get_or_create(
        code="bench-s",
        defaults={"name": "ベンチ課", "level": "section", "path": "bench-s"},
    )
    procedure, _ = Procedure.objects.get_or_create(
        code="BENCH-EF-20",
        defaults={
            "name": "ベンチマーク申請",
            "kind": "application",
            "org_unit": section,
            "bureau": section,
            "legal_basis_kind": "municipal",
        },
    )
    schema = form_definition()
    form = FormDefinition.objects.filter(procedure=procedure).first()
    if (
        form is None
        or form.current_version is None
        or form.current_version.schema != schema
    ):
        form = services.form_definition_save(
            actor=SYSTEM, procedure=procedure, slug=FORM_SLUG, section=section
        )
        version = services.form_version_save(
            actor=SYSTEM, definition=form, schema=schema, note="benchmark"
        )
        services.form_version_publish(actor=SYSTEM, version=version)
    services.form_definition_save(
        actor=SYSTEM,
        procedure=procedure,
        slug=FORM_SLUG,
        section=section,
        assurance="account",
        sla_days=10,
        is_open=True,
    )
    have = set(
        User.objects.filter(username__startswith="bench-citizen-").values_list(
            "username", flat=True
        )
    )
    wanted = [f"bench-citizen-{i:05d}" for i in range(citizens)]
    missing = [name for name in wanted if name not in have]
    with transaction.atomic():
        made = User.objects.bulk_create(
            [
                User(
                    username=name,
                    email=f"{name}@example.invalid",
                    display_name=name,
                    password="!",  # noqa: S106 (unusable: they use their token)
                )
                for name in missing
            ]
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=Role.CITIZEN) for user in made]
        )
    users = list(User.objects.filter(username__in=wanted).order_by("username"))
    tokens = [Token.objects.get_or_create(user=user)[0].key for user in users]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        pg_version = str(cursor.fetchone()[0])  # type: ignore[index]
    connection.close()
    return tokens, [user.pk for user in users], pg_version


class CpuMeter:
    """CPU seconds used by groups of processes between two snapshots."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        import psutil

        self.psutil = psutil
        self.groups = groups

    def _pids(self, name: str) -> list[Any]:
        found = []
        for pid in self.groups[name]:
            try:
                proc = self.psutil.Process(pid)
                found.append(proc)
                found.extend(proc.children(recursive=True))
            except self.psutil.NoSuchProcess:
                continue
        return found

    def _by_name(self, names: tuple[str, ...]) -> list[Any]:
        return [
            p
            for p in self.psutil.process_iter(["name"])
            if (p.info["name"] or "").startswith(names)
        ]

    def snapshot(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        procs: dict[str, list[Any]] = {name: self._pids(name) for name in self.groups}
        procs["postgres"] = self._by_name(("postgres",))
        procs["redis"] = self._by_name(("redis-server",))
        for name, members in procs.items():
            total = 0.0
            for proc in members:
                try:
                    times = proc.cpu_times()
                    total += times.user + times.system
                except self.psutil.NoSuchProcess:
                    continue
            totals[name] = total
        totals["machine"] = sum(
            getattr(self.psutil.cpu_times(), f)
            for f in ("user", "system", "nice", "irq", "softirq")
        )
        # time the hypervisor gave this virtual machine's CPUs to others
        totals["steal"] = getattr(self.psutil.cpu_times(), "steal", 0.0)
        return totals


def run_phase(
    *,
    mode: str,
    args: argparse.Namespace,
    port: int,
    env: dict[str, str],
    work: Path,
    meter: CpuMeter,
    rate: float,
) -> dict[str, Any]:
    """One Locust run; returns its output, window and CPU use."""
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    out = work / f"locust-{mode}.json"
    start = time.time() + 3 + args.warmup  # Locust starts in about a second
    end = start + args.seconds
    phase_env = {
        **env,
        "BENCH_MODE": mode,
        "BENCH_WINDOW_START": str(start),
        "BENCH_WINDOW_END": str(end),
        "BENCH_OUT": str(out),
        "BENCH_PER_USER_RATE": str(rate / args.users if rate else 0),
    }
    run_time = int(end - time.time()) + 2
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(args.users), "-r", str(args.spawn_rate),
        "--run-time", f"{run_time}s", "--stop-timeout", "10",
        "--host", f"http://127.0.0.1:{port}",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with (work / f"locust-{mode}.log").open("w") as log:
        locust = subprocess.Popen(
            command, env=phase_env, stdout=log, stderr=subprocess.STDOUT
        )
        meter.groups["locust"] = [locust.pid]
        time.sleep(max(0.0, start - time.time()))
        before = meter.snapshot()
        time.sleep(max(0.0, end - time.time()))
        after = meter.snapshot()
        locust.wait()
    result: dict[str, Any] = json.loads(out.read_text())
    result["cpu"] = {
        name: (after[name] - before.get(name, 0.0)) / args.seconds for name in after
    }
    return result


def summarise(kind: str, result: dict[str, Any], seconds: float) -> dict[str, Any]:
    latencies = result["latencies"].get(kind, [])
    statuses = result["statuses"].get(kind, {})
    good = {"healthz": {"200"}, "submit": {"201"}, "retry": {"200"}}[kind]
    errors = sum(n for code, n in statuses.items() if code not in good)
    return {
        "kind": kind,
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": _pct(latencies, 0.50),
        "p95": _pct(latencies, 0.95),
        "p99": _pct(latencies, 0.99),
        "max": max(latencies) if latencies else float("nan"),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "errors": errors,
        "statuses": statuses,
    }


def check_applications(
    result: dict[str, Any], user_ids: list[int], run_id: str
) -> dict[str, int]:
    """Lost: a 201 without its row, its ``received`` status or its audit event.
    Duplicated: a key with more than one application."""
    from django.db import connection
    from django.db.models import Count

    from yorisou.core.models import AuditEvent
    from yorisou.eforms.constants import State
    from yorisou.eforms.models import Application, ApplicationStatus

    answered = {
        f"{user_ids[int(index)]}:{key}": app_id
        for index, key, app_id in result["created"]
    }
    rows = dict(
        Application.objects.filter(idempotency_key__contains=f":{run_id}-").values_list(
            "idempotency_key", "pk"
        )
    )
    ids = list(answered.values())
    received = set(
        ApplicationStatus.objects.filter(
            application_id__in=ids, to_state=State.RECEIVED, action="submit"
        ).values_list("application_id", flat=True)
    )
    audited = set(
        AuditEvent.objects.filter(
            action="eforms.application.submit",
            target_type="eforms.application",
            target_id__in=[str(i) for i in ids],
        ).values_list("target_id", flat=True)
    )
    lost_rows = sum(1 for key, pk in answered.items() if rows.get(key) != pk)
    lost_status = sum(1 for pk in ids if pk not in received)
    lost_audit = sum(1 for pk in ids if str(pk) not in audited)
    duplicated = (
        Application.objects.filter(idempotency_key__contains=f":{run_id}-")
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    duplicate_ids = len(ids) - len(set(ids))
    connection.close()
    return {
        "answered_201": len(answered),
        "rows_of_run": len(rows),
        "lost_row": lost_rows,
        "lost_status": lost_status,
        "lost_audit": lost_audit,
        "duplicated_keys": duplicated,
        "same_id_for_two_keys": duplicate_ids,
        "rows_without_201": len(set(rows) - set(answered)),
        "bad_retries": len(result["bad_retries"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="yorisou_bench")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--interface",
        choices=["asgi", "wsgi"],
        default="asgi",
        help="yorisou serve --interface: asgi (uvicorn) or wsgi (gunicorn)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="wsgi: threads per worker"
    )
    parser.add_argument(
        "--no-access-log", action="store_true", help="asgi: no access log lines"
    )
    parser.add_argument(
        "--celery-worker",
        action="store_true",
        help="run a Celery worker (concurrency 1) during the measurement",
    )
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--users", type=int, default=64, help="Locust users")
    parser.add_argument("--spawn-rate", type=float, default=32)
    parser.add_argument(
        "--rate",
        type=float,
        default=200,
        help="submissions/s offered in total (0: as fast as the users can)",
    )
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--phases",
        default="ceiling,submit",
        help="comma-separated: ceiling (GET /healthz), submit",
    )
    parser.add_argument(
        "--settings",
        default="yorisou.conf.production",
        help="settings module of the server (eforms_bench_settings: with BENCH_*)",
    )
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (e.g. a setting under test)",
    )
    args = parser.parse_args()

    database_url = f"{args.pg}/{args.database}"
    redis_url = f"{args.redis}/{args.redis_db}"
    work = Path(tempfile.mkdtemp(prefix="yorisou-bench-"))
    var_dir = Path(tempfile.gettempdir()) / "yorisou-bench-var"  # kept: static files
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789-abcdefghij",
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "YORISOU_VAR_DIR": str(var_dir),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(LOCUSTFILE.parent)]),
    }
    for item in args.server_env:
        name, _sep, value = item.partition("=")
        env[name] = value
    os.environ.update(env)
    sys.path.insert(0, str(LOCUSTFILE.parent))

    create_database(database_url)
    tokens, user_ids, pg_version = prepare(args.citizens)
    (work / "tokens.json").write_text(json.dumps(tokens))
    (work / "answers.json").write_text(json.dumps(sample_answers(64)))
    run_id = uuid.uuid4().hex[:10]
    env.update(
        {
            "BENCH_TOKENS": str(work / "tokens.json"),
            "BENCH_ANSWERS": str(work / "answers.json"),
            "BENCH_RUN_ID": run_id,
            "BENCH_FORM": FORM_SLUG,
            "BENCH_RETRY_SHARE": str(args.retry_share),
        }
    )

    import psutil

    busy = 1 - psutil.cpu_times_percent(interval=3).idle / 100  # type: ignore[attr-defined]
    print(f"machine busy before the run: {busy * os.cpu_count():.2f} cores")  # type: ignore[operator]
    port = _free_port()
    serve = [
        sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(args.workers),
        "--interface", args.interface,
    ]  # fmt: skip
    if args.interface == "wsgi":
        serve += ["--threads", str(args.threads)]
    if args.no_access_log:
        serve.append("--no-access-log")
    celery = [
        str(Path(sys.executable).parent / "celery"), "-A", "yorisou", "worker",
        "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip",
        "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    with _process(serve, env, work / "server.log") as server:
        _wait_http(port, server, {"X-Forwarded-Proto": "https"})
        groups = {"server": [server.pid]}
        with _maybe_celery(args.celery_worker, celery, env, work) as worker:
            if worker is not None:
                groups["celery"] = [worker.pid]
            meter = CpuMeter(groups)
            for mode in args.phases.split(","):
                rate = args.rate if mode == "submit" else 0.0
                results[mode] = run_phase(
                    mode=mode,
                    args=args,
                    port=port,
                    env=env,
                    work=work,
                    meter=meter,
                    rate=rate,
                )
        if "submit" in results:
            time.sleep(1)  # let the last requests finish
    print(f"machine: {_machine()}; PostgreSQL {pg_version}")
    print(
        f"server: yorisou serve --workers {args.workers} --interface "
        f"{args.interface}"
        + (f" --threads {args.threads}" if args.interface == "wsgi" else "")
        + (" --no-access-log" if args.no_access_log else "")
        + f" ({'gunicorn' if args.interface == 'wsgi' else 'uvicorn'}, {args.settings}"
        + "".join(f", {item}" for item in args.server_env)
        + "); Celery worker: "
        + ("yes (concurrency 1)" if args.celery_worker else "no (tasks only queued)")
    )
    print(
        f"load: locust FastHttpUser, {args.users} users, spawn {args.spawn_rate}/s, "
        f"warm-up {args.warmup:.0f} s, window {args.seconds:.0f} s, submit rate "
        + (f"{args.rate:.0f}/s offered" if args.rate else "unlimited")
        + f", retries {args.retry_share:.0%}"
    )
    print(
        "| phase | endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | "
        "max ms | errors | CPU cores: server / locust / postgres / redis / celery "
        "/ other / machine / stolen |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode, result in results.items():
        kinds = ["healthz"] if mode == "ceiling" else ["submit", "retry"]
        cpu = result["cpu"]
        mine = ("server", "locust", "postgres", "redis", "celery")
        cpu["other"] = cpu["machine"] - sum(cpu.get(name, 0.0) for name in mine)
        cpu_text = " / ".join(
            f"{cpu.get(name, 0.0):.2f}" for name in (*mine, "other", "machine", "steal")
        )
        for kind in kinds:
            s = summarise(kind, result, args.seconds)
            print(
                f"| {mode} | {kind} | {s['requests']} | {s['rps']:.0f} | "
                f"{s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {s['max']:.0f} | "
                f"{s['errors']} {s['statuses']} | {cpu_text} |"
            )
    if "submit" in results:
        checks = check_applications(results["submit"], user_ids, run_id)
        print("checks: " + ", ".join(f"{k}={v}" for k, v in checks.items()))
        bad = (
            checks["lost_row"]
            + checks["lost_status"]
            + checks["lost_audit"]
            + checks["duplicated_keys"]
            + checks["same_id_for_two_keys"]
            + checks["bad_retries"]
        )
        print("lost or duplicated: " + ("NONE" if bad == 0 else f"{bad} PROBLEMS"))
    print(f"logs: {work}" if args.keep_logs else "")
    if not args.keep_logs:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def _maybe_celery(
    wanted: bool, command: list[str], env: dict[str, str], work: Path
) -> Iterator[Any]:
    if not wanted:
        yield None
        return
    with _process(command, env, work / "celery.log") as worker:
        time.sleep(3)
        yield worker


if __name__ == "__main__":
    main()
