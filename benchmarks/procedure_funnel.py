"""Server time of the procedure funnel dashboard at 100,000 procedures.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/procedure_funnel.py

It migrates the database named by DATABASE_URL and, unless they are there,
creates --procedures synthetic procedures (code prefix ``BF-``) spread over the
sections, each with counter / mail / online volumes for two fiscal years, 2.6 %
of them priority candidates classified ① / ② / ③ with statuses and dates. Then it
renders the funnel page through Django's test client as a signed-in reform office
member and prints the median and 95th percentile of --runs renders and the
number of queries.
"""

import argparse
import os
import random
import statistics
import time
from datetime import date
from typing import Any


class _Counter:
    """A database execute wrapper that notes every statement."""

    def __init__(self, queries: list[str]) -> None:
        self.queries = queries

    def __call__(self, execute: Any, sql: str, *rest: Any) -> Any:
        self.queries.append(sql)
        return execute(sql, *rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procedures", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from yorisou.accounts.models import OrgUnit, RoleAssignment, User
    from yorisou.core.constants import Role
    from yorisou.procedures.models import Procedure, ProcedureVolume, TriageDecision
    from yorisou.reforms.synthetic import _units  # the same small org tree

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    existing = Procedure.objects.filter(code__startswith="BF-").count()
    if existing not in (0, args.procedures):
        print("the benchmark catalogue has another size; drop the database")
        return
    if not existing:
        started = time.perf_counter()
        rng = random.Random(42)  # noqa: S311 (made-up data)
        units, _bureaus = _units()
        sections = [u for u in units if u.level == "section"] or units
        bureau_of = {
            u.pk: OrgUnit.objects.get(code=u.path.split("/")[0]) for u in sections
        }
        now = timezone.now()
        with transaction.atomic():
            procedures = Procedure.objects.bulk_create(
                [
                    Procedure(
                        code=f"BF-{i:06d}",
                        name=f"合成手続{i}の申請",
                        kind="application",
                        org_unit=(section := sections[i % len(sections)]),
                        bureau=bureau_of[section.pk],
                        legal_basis_kind="municipal",
                        national_26=i < 26,
                        search_text=f"合成手続{i}の申請",
                        is_sample=True,
                    )
                    for i in range(args.procedures)
                ],
                batch_size=5000,
            )
            volumes = []
            for procedure in procedures:
                base = int(rng.paretovariate(1.2) * 5)
                for year in (2022, 2023):
                    for channel, part in (
                        ("counter", 0.7),
                        ("mail", 0.2),
                        ("online", 0.1),
                    ):
                        volumes.append(
                            ProcedureVolume(
                                procedure=procedure,
                                fiscal_year=year,
                                channel=channel,
                                cases=int(base * part),
                            )
                        )
            ProcedureVolume.objects.bulk_create(volumes, batch_size=10000)
            decisions = []
            for procedure in rng.sample(procedures, len(procedures) * 26 // 1000):
                triage = rng.choice(
                    ["start_now", "start_now", "wait_state", "excluded"]
                )
                online = triage == "start_now" and rng.random() < 0.6
                decisions.append(
                    TriageDecision(
                        procedure=procedure,
                        is_candidate=True,
                        triage_class=triage,
                        reason="high_volume",
                        target_fy=rng.choice([2022, 2023, 2024]),
                        target_quarter=rng.randint(0, 4),
                        status="online" if online else "not_started",
                        done_on=date(2023, rng.randint(1, 12), 1) if online else None,
                        created_at=now,
                    )
                )
            TriageDecision.objects.bulk_create(decisions, batch_size=5000)
        print(f"built the catalogue in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would
    user, _ = User.objects.get_or_create(username="bench-procedures")
    RoleAssignment.objects.get_or_create(
        user=user, role=Role.REFORM_OFFICE, org_unit=None
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.STAFF, org_unit=None)
    client = Client()
    client.force_login(user)
    size = f"{args.procedures} procedures, {connection.vendor}"
    print(f"| page ({size}) | median | p95 | queries |")
    print("|---|---|---|---|")
    for name, url in [("funnel", "/procedures/funnel/")]:
        queries: list[str] = []
        with connection.execute_wrapper(_Counter(queries)):
            assert client.get(url).status_code == 200
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        median = statistics.median(times)
        print(f"| {name} | {median:.0f} ms | {p95:.0f} ms | {len(queries)} |")


if __name__ == "__main__":
    main()
