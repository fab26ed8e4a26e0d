"""How long the all-department procedure survey takes: import and export.

Usage (PostgreSQL; the numbers in docs/performance.md come from it):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yorisou_bench \\
        .venv/bin/python benchmarks/procedure_import.py

It migrates the database named by DATABASE_URL, writes a synthetic survey
workbook (4,500 procedures in 40 sections, 3 fiscal years x 3 channels of
volumes, tags), then times, as the median of --runs runs:

- import into a catalogue without these procedures (the create path);
- import of the same file with nothing changed;
- import after every procedure's name and every volume were changed in the
  database, so that the file changes them all back (the update path);
- export of the whole catalogue as .xlsx.

It touches only its own rows: org units, tags and procedures whose codes start
with ``bench-`` / ``BENCH-``.
"""

import argparse
import io
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

YEARS = (2021, 2022, 2023)
CHANNELS = ("counter", "mail", "online")
KINDS = ("application", "notification", "request", "offer", "report", "other")
BASES = ("national_law", "municipal", "guideline", "none")
ASSURANCES = ("none", "account", "my_number_card")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procedures", type=int, default=4500)
    parser.add_argument("--sections", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yorisou.conf.dev")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from yorisou.accounts.models import OrgUnit
    from yorisou.celery import app
    from yorisou.core import audit
    from yorisou.core.permissions import SYSTEM
    from yorisou.core.tabular import SheetContent, write_xlsx
    from yorisou.procedures import survey
    from yorisou.procedures.models import Procedure, ProcedureVolume, Tag

    call_command("migrate", verbosity=0)
    # As with a separate worker: neither the audit seal nor the KPI refresh
    # runs inside the timed imports.
    cache.set(audit._SEAL_PENDING_KEY, 1, timeout=3600)
    app.conf.task_always_eager = False

    bureau, _ = OrgUnit.objects.get_or_create(
        code="bench-b",
        defaults={"name": "ベンチ局", "level": "bureau", "path": "bench-b"},
    )
    department, _ = OrgUnit.objects.get_or_create(
        code="bench-d",
        defaults={
            "name": "ベンチ部",
            "level": "department",
            "parent": bureau,
            "path": "bench-b/bench-d",
        },
    )
    sections = []
    for n in range(args.sections):
        code = f"bench-s{n:02d}"
        unit, _ = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": f"ベンチ課{n}",
                "level": "section",
                "parent": department,
                "path": f"bench-b/bench-d/{code}",
            },
        )
        sections.append(unit.code)
    events = [f"bench-event-{n}" for n in range(12)]
    categories = [f"bench-category-{n}" for n in range(10)]
    for kind, codes in (("life_event", events), ("category", categories)):
        for code in codes:
            Tag.objects.get_or_create(kind=kind, code=code, defaults={"name": code})

    rng = random.Random(20241)  # noqa: S311 (test data, not secrets)
    volume_keys = [(year, channel) for year in YEARS for channel in CHANNELS]
    rows: list[list[Any]] = []
    for n in range(args.procedures):
        rows.append(
            [
                f"BENCH-{n:05d}",
                f"ベンチ手続{n}の{rng.choice(['交付申請', '届出', '認定請求'])}",
                f"Bench procedure {n}",
                rng.choice(KINDS),
                rng.choice(sections),
                rng.choice(BASES),
                f"ベンチ法第{n % 200 + 1}条",
                rng.choice(["true", "false"]),
                rng.choice(["true", "false"]),
                rng.choice([None, 0, 200, 300, 1500]),
                "本人確認書類、印鑑",
                rng.choice(ASSURANCES),
                "true" if n % 170 == 0 else "false",
                "true" if n % 150 == 0 else "false",
                ",".join(rng.sample(events, rng.randint(0, 2))),
                ",".join(rng.sample(categories, rng.randint(0, 2))),
                f"ベンチ キーワード{n % 97}",
                *(rng.randint(0, 20000) for _ in volume_keys),
            ]
        )
    header = [
        *survey.KEYS,
        *(survey.volume_column(year, channel) for year, channel in volume_keys),
    ]
    content = write_xlsx([SheetContent("procedures", header, rows)])

    prefix = "BENCH-"

    def drop() -> None:
        """Delete the benchmark's procedures with one DELETE per table."""
        with transaction.atomic():
            for query in (
                ProcedureVolume.objects.filter(procedure__code__startswith=prefix),
                Procedure.tags.through.objects.filter(
                    procedure__code__startswith=prefix
                ),
                Procedure.objects.filter(code__startswith=prefix),
            ):
                query._raw_delete(query.db)

    def import_file() -> Any:
        result = survey.procedure_import(
            actor=SYSTEM, stream_or_path=io.BytesIO(content), filename="bench.xlsx"
        )
        assert result.ok, result.errors[:5]
        return result

    def change_everything() -> None:
        Procedure.objects.filter(code__startswith=prefix).update(
            name=Concat(F("name"), Value("改"))
        )
        ProcedureVolume.objects.filter(procedure__code__startswith=prefix).update(
            cases=F("cases") + 1
        )

    def timed(
        action: Callable[[], Any], before: Callable[[], Any] | None = None
    ) -> tuple[float, Any]:
        times: list[float] = []
        result: Any = None
        for _ in range(args.runs):
            if before is not None:
                before()
            began = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - began)
        return statistics.median(times), result

    create_time, created = timed(import_file, before=drop)
    unchanged_time, unchanged = timed(import_file)
    update_time, updated = timed(import_file, before=change_everything)
    export_time, exported = timed(lambda: survey.procedure_export(actor=SYSTEM))
    volumes = ProcedureVolume.objects.filter(procedure__code__startswith=prefix)
    volume_count = volumes.count()
    cache.delete(audit._SEAL_PENDING_KEY)

    size = (
        f"{args.procedures:,} procedures x {len(volume_keys)} volumes "
        f"({volume_count:,} volume rows)"
    )
    print(f"database: {connection.vendor}; survey: {size}")
    print(f"workbook: {len(content):,} bytes .xlsx; export: {len(exported):,} bytes")
    print()
    print(f"| measure (median of {args.runs}) | rows | figure |")
    print("|---|---|---|")
    print(
        f"| import .xlsx, create path | {created.created:,} created "
        f"| {create_time:.2f} s |"
    )
    print(
        f"| import .xlsx, update path (names and volumes) | "
        f"{updated.updated:,} updated | {update_time:.2f} s |"
    )
    print(
        f"| import .xlsx, nothing changed | {unchanged.unchanged:,} unchanged "
        f"| {unchanged_time:.2f} s |"
    )
    print(f"| export .xlsx (whole catalogue) | {size} | {export_time:.2f} s |")


if __name__ == "__main__":
    main()
