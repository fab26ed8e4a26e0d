"""How long the Excel round trip of a large reform plan takes: export and import.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/reform_transfer.py

It migrates the database named by DATABASE_URL, builds a synthetic plan (10,000
action items, 500 indicators x 10 years of actuals and targets, 4 half-year
periods with a status report per item), then times, as the median of --runs runs:

- export of the whole plan as .xlsx;
- import of that file into the same plan with nothing changed;
- import after every status report and indicator value was changed in the
  database, so that the file changes them all back (the update path, with one
  history event per report);
- import into an empty plan code after the plan was deleted (the create path).

It deletes and recreates only its own plan (code ``bench-transfer``).
"""

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import F

    from yorisou.core import audit
    from yorisou.core.permissions import SYSTEM
    from yorisou.reforms import models, transfer
    from yorisou.reforms.synthetic import synthetic_plan_create

    code = "bench-transfer"
    call_command("migrate", verbosity=0)
    # As with a separate worker: no seal task runs inside the timed imports.
    cache.set(audit._SEAL_PENDING_KEY, 1, timeout=3600)

    def drop_plan() -> None:
        """Delete the plan bottom-up with one DELETE per table (no collector)."""
        plan_filter: list[tuple[Any, dict[str, str]]] = [
            (models.StatusReportEvent, {"report__period__plan__code": code}),
            (models.StatusReport, {"period__plan__code": code}),
            (models.ActionItem.indicators.through, {"actionitem__plan__code": code}),
            (models.ScheduleEntry, {"item__plan__code": code}),
            (models.Milestone, {"item__plan__code": code}),
            (models.ReminderLog, {"period__plan__code": code}),
            (models.ReportingPeriod, {"plan__code": code}),
            (models.IndicatorValue, {"indicator__plan__code": code}),
            (models.SeriesPoint, {"series__code__startswith": f"{code}-"}),
            (models.Series, {"code__startswith": f"{code}-"}),
            (models.ActionItem, {"plan__code": code}),
            (models.Indicator, {"plan__code": code}),
            (models.Initiative, {"plan__code": code}),
            (models.Pillar, {"plan__code": code}),
            (models.Stage, {"plan__code": code}),
            (models.Plan, {"code": code}),
        ]
        with transaction.atomic():
            for model, lookup in plan_filter:
                query = model._default_manager.filter(**lookup)
                query._raw_delete(query.db)

    def timed(action: Callable[[], Any], before: Callable[[], Any] | None = None):
        times: list[float] = []
        result: Any = None
        for _ in range(args.runs):
            if before is not None:
                before()
            began = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - began)
        return statistics.median(times), result

    drop_plan()
    began = time.perf_counter()
    plan = synthetic_plan_create(
        code=code,
        items=args.items,
        indicators=args.indicators,
        years=args.years,
        periods=args.periods,
    )
    build_time = time.perf_counter() - began
    reports = models.StatusReport.objects.filter(period__plan=plan).count()
    values = models.IndicatorValue.objects.filter(indicator__plan=plan).count()

    export_time, content = timed(
        lambda: transfer.plan_export(actor=SYSTEM, plan=plan, fmt="xlsx")
    )
    zip_time, zipped = timed(
        lambda: transfer.plan_export(actor=SYSTEM, plan=plan, fmt="zip")
    )

    def import_file() -> Any:
        workbook = transfer.read_plan_workbook(io.BytesIO(content), "plan.xlsx")
        result = transfer.plan_import(actor=SYSTEM, workbook=workbook)
        assert result.ok, result.errors[:5]
        return result

    unchanged_time, unchanged = timed(import_file)

    def change_everything() -> None:
        models.StatusReport.objects.filter(period__plan=plan).update(
            progress=(F("progress") + 1) % 101, narrative="changed"
        )
        models.IndicatorValue.objects.filter(indicator__plan=plan).update(
            value=F("value") + 1
        )

    update_time, updated = timed(import_file, before=change_everything)
    create_time, created = timed(import_file, before=drop_plan)

    read_time, _ = timed(
        lambda: transfer.read_plan_workbook(io.BytesIO(content), "plan.xlsx")
    )
    cache.delete(audit._SEAL_PENDING_KEY)

    size = (
        f"{args.items:,} items, {args.indicators:,} indicators x {args.years} years, "
        f"{args.periods} periods ({reports:,} status reports, {values:,} values)"
    )
    print(f"database: {connection.vendor}; plan: {size}")
    print(f"workbook: {len(content):,} bytes .xlsx, {len(zipped):,} bytes .zip")
    print(f"synthetic plan built in {build_time:.1f} s")
    print()
    print(f"| measure (median of {args.runs}) | rows | figure |")
    print("|---|---|---|")
    print(f"| export .xlsx | {size} | {export_time:.2f} s |")
    print(f"| export .zip of CSV | {size} | {zip_time:.2f} s |")
    print(f"| read .xlsx only (no database) | {size} | {read_time:.2f} s |")
    print(
        f"| import .xlsx, nothing changed | {unchanged.unchanged:,} unchanged "
        f"| {unchanged_time:.2f} s |"
    )
    print(
        f"| import .xlsx, update path | {updated.updated:,} updated "
        f"| {update_time:.2f} s |"
    )
    print(
        f"| import .xlsx, create path (empty plan) | {created.created:,} created "
        f"| {create_time:.2f} s |"
    )


if __name__ == "__main__":
    main()
