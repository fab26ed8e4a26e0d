"""How long the progress report takes: the demo plan, and a 10,000-item plan.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/report_generate.py

It loads the demo data (idempotent) and, unless it is there, the synthetic plan
``bench-report`` (10,000 action items, 500 indicators x 10 years, 4 periods),
then builds the report in each format (median of --runs) and prints the peak
memory of the process.
"""

import argparse
import os
import resource
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--items", type=int, default=10000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    from yorisou.core.permissions import SYSTEM
    from yorisou.reforms.models import Plan
    from yorisou.reforms.selectors import period_default, period_list
    from yorisou.reforms.synthetic import synthetic_plan_create
    from yorisou.reports.services import report_generate

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=StringIO())
    if not Plan.objects.filter(code="bench-report").exists():
        synthetic_plan_create(code="bench-report", items=args.items)
    print("| plan | format | median | size |")
    print("|---|---|---|---|")
    for code in ("city-hall-reform", "bench-report"):
        plan = Plan.objects.get(code=code)
        period = period_default(period_list(plan=plan), plan=plan)
        for fmt in ("pptx", "pdf", "xlsx"):
            times = []
            size = 0
            for _ in range(args.runs):
                started = time.perf_counter()
                size = len(
                    report_generate(actor=SYSTEM, plan=plan, period=period, fmt=fmt)
                )
                times.append(time.perf_counter() - started)
            print(f"| {code} | {fmt} | {statistics.median(times):.2f} s | {size:,} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
