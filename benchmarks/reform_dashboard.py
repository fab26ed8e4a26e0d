"""Server time of the reform plan dashboard and indicator table on a large plan.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/reform_dashboard.py

It migrates the database named by DATABASE_URL, builds a synthetic plan (10,000
action items, 500 indicators x 10 years of actuals and targets, 4 half-year periods
with a status report per item) unless it is already there, then renders each page
through Django's test client as a signed-in reform office member and prints the
median and 95th percentile server time of --runs renders, and the query count.

The dashboard's rollup is cached per data version of the plan (every change
raises the version). "after a change" rows raise the version before each render,
so they show the time of the first view after a status report was approved.
"""

import argparse
import os
import statistics
import time
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
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from yorisou.accounts.models import RoleAssignment, User
    from yorisou.core.constants import Role
    from yorisou.reforms.models import ActionItem, Plan
    from yorisou.reforms.services import plan_changed
    from yorisou.reforms.synthetic import synthetic_plan_create

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # as in production: no query log while timing
    code = "bench-dashboard"
    call_command("migrate", verbosity=0)
    plan = Plan.objects.filter(code=code).first()
    if plan is None or ActionItem.objects.filter(plan=plan).count() != args.items:
        if plan is not None:
            print("the existing benchmark plan has another size; drop the database")
            return
        started = time.perf_counter()
        plan = synthetic_plan_create(
            code=code,
            items=args.items,
            indicators=args.indicators,
            years=args.years,
            periods=args.periods,
        )
        print(f"built the plan in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    user, _ = User.objects.get_or_create(username="bench-office")
    RoleAssignment.objects.get_or_create(
        user=user, role=Role.REFORM_OFFICE, org_unit=None
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.STAFF, org_unit=None)
    client = Client()
    client.force_login(user)

    size = (
        f"{args.items} items, {args.indicators} indicators x {args.years} years, "
        f"{args.periods} periods, {connection.vendor}"
    )
    print(f"| page ({size}) | median | p95 | queries |")
    print("|---|---|---|---|")
    bureau = (
        ActionItem.objects.filter(plan=plan)
        .values_list("bureau__code", flat=True)
        .first()
    )
    one_bureau = f"/reforms/{code}/?bureau={bureau}"
    for name, url, change in [
        ("dashboard", f"/reforms/{code}/", False),
        ("dashboard after a change", f"/reforms/{code}/", True),
        ("dashboard, one bureau", one_bureau, False),
        ("dashboard, one bureau, after a change", one_bureau, True),
        ("indicator table", f"/reforms/{code}/indicators/", False),
    ]:
        if change:
            plan_changed(plan_id=plan.pk)
        queries: list[str] = []
        with connection.execute_wrapper(_Counter(queries)):
            assert client.get(url).status_code == 200  # warm up, count queries
        times = []
        for _ in range(args.runs):
            if change:
                plan_changed(plan_id=plan.pk)
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        median = statistics.median(times)
        print(f"| {name} | {median:.0f} ms | {p95:.0f} ms | {len(queries)} |")


if __name__ == "__main__":
    main()
