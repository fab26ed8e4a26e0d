"""Server time of the reform plan dashboard and indicator table on a large plan.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/reform_dashboard.py

It migrates the database named by DATABASE_URL, builds a synthetic plan (10,000
action items, 500 indicators x 10 years of actuals and targets, 4 half-year periods
with a status report per item) unless it is already there, then renders each page
through Django's test client as a signed-in reform office member and prints the
median and 95th percentile server time of --runs renders, and the query count.
"""

import argparse
import os
import statistics
import time


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
    from django.test.utils import CaptureQueriesContext

    from yorisou.accounts.models import RoleAssignment, User
    from yorisou.core.constants import Role
    from yorisou.reforms.models import ActionItem, Plan
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
    user, _ = User.objects.get_or_create(username="bench-office")
    RoleAssignment.objects.get_or_create(
        user=user, role=Role.REFORM_OFFICE, org_unit=None
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.STAFF, org_unit=None)
    client = Client()
    client.force_login(user)

    print(
        f"| page | median | p95 | queries | ({args.items} items, {args.indicators} indicators x {args.years} years, {args.periods} periods, {connection.vendor}) |"
    )
    print("|---|---|---|---|---|")
    for name, url in [
        ("dashboard", f"/reforms/{code}/"),
        (
            "dashboard, one bureau",
            f"/reforms/{code}/?bureau={ActionItem.objects.filter(plan=plan).values_list('bureau__code', flat=True).first()}",
        ),
        ("indicator table", f"/reforms/{code}/indicators/"),
    ]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200  # warm up, count queries
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"| {name} | {statistics.median(times):.0f} ms | {p95:.0f} ms | {len(queries)} | |"
        )


if __name__ == "__main__":
    main()
