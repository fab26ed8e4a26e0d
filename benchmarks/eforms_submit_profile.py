"""Where the time of one API submission goes: queries and a profile.

Usage (after ``benchmarks/eforms_submit.py`` prepared the database):
    .venv/bin/python benchmarks/eforms_submit_profile.py --runs 300 [--pyinstrument]

Runs in one process with ``yorisou.conf.production`` (the environment of
``eforms_submit.py``: database ``yorisou_bench``, Redis db 5), through Django's
request handler (all middleware, DRF token authentication, throttling), posting
the benchmark's 20-field application with fresh keys. Prints the SQL statements
of one submission and of one retry (same key), the median time per submission,
and, with ``--pyinstrument``, a profile of all runs (or cProfile's top functions
without it).
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eforms_submit import FIELD_KEY, FORM_SLUG, sample_answers


class _Log:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, execute: Any, sql: str, *rest: Any) -> Any:
        self.queries.append(sql)
        return execute(sql, *rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database", default="yorisou_bench")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "yorisou.conf.production",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
            "REDIS_URL": "redis://127.0.0.1:6379/5",
            "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789-abc",
            "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "YORISOU_VAR_DIR": str(Path(tempfile.gettempdir()) / "yorisou-bench-var"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from rest_framework.authtoken.models import Token

    token = (
        Token.objects.filter(user__username__startswith="bench-citizen-")
        .order_by("user__username")
        .values_list("key", flat=True)
        .first()
    )
    if token is None:
        raise SystemExit("run benchmarks/eforms_submit.py first")
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_FORWARDED_PROTO="https")
    answers = sample_answers(64)
    run_id = uuid.uuid4().hex[:10]

    def submit(key: str, i: int) -> int:
        response = client.post(
            "/api/v1/applications/",
            data=json.dumps({"form": FORM_SLUG, "data": answers[i % len(answers)]}),
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )
        return int(response.status_code)

    # one submission and one retry, with their SQL
    for label, key in (("submit", f"{run_id}-first"), ("retry", f"{run_id}-first")):
        log = _Log()
        with connection.execute_wrapper(log):
            status = submit(key, 0)
        print(f"{label}: HTTP {status}, {len(log.queries)} queries")
        if args.show_sql:
            for sql in log.queries:
                print("   ", sql[:220])
    for i in range(20):  # warm-up
        submit(f"{run_id}-warm-{i}", i)
    times: list[float] = []
    cpu_began = time.process_time()
    profiler: Any
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    else:
        profiler = cProfile.Profile()
    if args.pyinstrument:
        profiler.start()
    elif not args.no_profile:
        profiler.enable()
    for i in range(args.runs):
        began = time.perf_counter()
        status = submit(f"{run_id}-{i}", i)
        times.append((time.perf_counter() - began) * 1000)
        assert status == 201, status
    if args.no_profile:
        pass
    elif args.pyinstrument:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats("yorisou|rest_framework|asgiref", 40)
        if os.environ.get("BENCH_CALLERS"):
            stats.print_callers(os.environ["BENCH_CALLERS"])
    cpu = (time.process_time() - cpu_began) * 1000 / args.runs
    print(
        f"{args.runs} submissions: median {statistics.median(times):.2f} ms, "
        f"mean {statistics.fmean(times):.2f} ms, CPU {cpu:.2f} ms each "
        "(one process" + (")" if args.no_profile else ", profiler on)")
    )


if __name__ == "__main__":
    main()
