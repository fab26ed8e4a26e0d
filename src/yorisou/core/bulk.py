"""Bulk writes for imports of tens of thousands of rows, fast on PostgreSQL.

Django's ``bulk_create`` and ``bulk_update`` are the fallback (SQLite). On
PostgreSQL new rows go in with ``COPY`` and changes with one ``UPDATE … FROM
UNNEST`` per batch.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models

BATCH_SIZE = 2000
# Rows per UPDATE: each column is one array parameter, so batches can be large.
UPDATE_BATCH_SIZE = 10000


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Iterable[Any]],
) -> None:
    """Insert plain rows (values of the attnames ``columns``) in bulk.

    On PostgreSQL with ``COPY``: for 40,000 status report events it takes 0.2 s
    where ``bulk_create`` takes 1.9 s, most of it building model objects.
    """
    manager = model._default_manager
    db = connections[manager.db]
    if db.vendor != "postgresql":
        manager.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows),
            batch_size=BATCH_SIZE,
        )
        return
    quote = db.ops.quote_name
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    names = ", ".join(quote(str(by_attname[c])) for c in columns)
    table = quote(model._meta.db_table)
    sql = f"COPY {table} ({names}) FROM STDIN"
    with db.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(tuple(row))


def bulk_update(
    model: type[models.Model], objs: Sequence[models.Model], names: Iterable[str]
) -> None:
    """Write ``names`` (field names or attnames) of ``objs``, in batches.

    On PostgreSQL one ``UPDATE … FROM UNNEST(arrays)`` per batch, as Django's
    ``bulk_create`` inserts: Django's ``bulk_update`` builds a ``CASE WHEN`` per
    row and field, which took 5 s for 5,000 status reports.
    """
    fields = {f.attname: f for f in model._meta.concrete_fields}
    fields.update({f.name: f for f in model._meta.concrete_fields})
    chosen = sorted({fields[name] for name in names}, key=lambda f: f.attname)
    manager = model._default_manager
    db = connections[manager.db]
    if db.vendor != "postgresql":
        manager.bulk_update(objs, [f.name for f in chosen], batch_size=BATCH_SIZE)
        return
    quote = db.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    columns = [pk, *chosen]
    table = quote(model._meta.db_table)
    arrays = ", ".join(
        f"%s::{f.db_type(db).split('(')[0]}[]"  # type: ignore[union-attr]
        for f in columns
    )
    names_sql = ", ".join(quote(str(f.column)) for f in columns)
    assignments = ", ".join(
        f"{quote(str(f.column))} = v.{quote(str(f.column))}" for f in chosen
    )
    match = f"{table}.{quote(str(pk.column))} = v.{quote(str(pk.column))}"
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 (names are ours)
        f"FROM UNNEST({arrays}) AS v({names_sql}) WHERE {match}"
    )
    with db.cursor() as cursor:
        for start in range(0, len(objs), UPDATE_BATCH_SIZE):
            batch = objs[start : start + UPDATE_BATCH_SIZE]
            cursor.execute(
                sql,
                [
                    [f.get_db_prep_save(getattr(o, f.attname), db) for o in batch]
                    for f in columns
                ],
            )
