"""Inserting many rows at once, without a model instance per row.

``bulk_create`` builds an instance per row and, on SQLite, sends about 90 rows per
statement (the bound-parameter limit): inserting a million campaign members took
over two minutes. ``rows_insert`` streams plain tuples: ``COPY`` on PostgreSQL,
``executemany`` in batches elsewhere (docs/benchmarks.md, "Call lists under the
contact policy").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection

EXECUTEMANY_BATCH = 10_000


def rows_insert(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` into ``table`` (a model's ``_meta.db_table``) and return how
    many; each row holds ``columns``' values, already in the database's form
    (``connection.ops.adapt_*_value`` for dates and JSON). Columns left out must be
    nullable or have a database default."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        batches = iter(rows)
        while batch := list(islice(batches, EXECUTEMANY_BATCH)):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
