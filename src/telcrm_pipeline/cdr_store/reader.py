"""Reading the store: the only way in, so that no reader sees half a batch.

Every reader goes through :func:`cdr_parquet_files` or :func:`open_store`: both first
roll forward any publication a killed writer left (``recover_store``), then list the
files under the store's shared lock, so that a batch being published right now is
seen either entirely or not at all. Nobody globs ``STORE/cdr/*/*.parquet`` directly.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from telcrm_pipeline.cdr_store.journal import recover_store, store_lock

CDR_SCHEMA = (
    ("cdr_id", "BIGINT"),
    ("record_type", "VARCHAR"),
    ("call_type", "VARCHAR"),
    ("caller", "VARCHAR"),
    ("callee", "VARCHAR"),
    ("start_time", "TIMESTAMP"),
    ("duration_s", "INTEGER"),
    ("bytes", "BIGINT"),
    ("charge", "DECIMAL(12,2)"),
    ("cell_id", "VARCHAR"),
    ("roaming", "BOOLEAN"),
    ("day", "DATE"),
)
QUARANTINE_SCHEMA = (
    ("file", "VARCHAR"),
    ("line", "BIGINT"),
    ("field", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw_line", "VARCHAR"),
)
LINE_DAY_SCHEMA = (
    ("service_no", "VARCHAR"),
    ("day", "DATE"),
    ("voice_out_calls", "BIGINT"),
    ("voice_out_seconds", "BIGINT"),
    ("voice_in_calls", "BIGINT"),
    ("voice_in_seconds", "BIGINT"),
    ("sms_out", "BIGINT"),
    ("sms_in", "BIGINT"),
    ("data_sessions", "BIGINT"),
    ("data_bytes", "BIGINT"),
    ("charge", "DECIMAL(12,2)"),
    ("international_calls", "BIGINT"),
    ("roaming_events", "BIGINT"),
    ("distinct_contacts", "BIGINT"),
    ("first_event_at", "TIMESTAMP"),
    ("last_event_at", "TIMESTAMP"),
)

# Each dataset: its glob under the store, and whether ``day=`` folders partition it.
DATASETS: dict[str, tuple[str, bool]] = {
    "cdr": ("cdr/day=*/part-*.parquet", True),
    "cdr_quarantine": ("quarantine/cdr/part-*.parquet", False),
    "usage_line_day": ("usage/line_day/day=*/line_day.parquet", True),
}
SCHEMAS = {
    "cdr": CDR_SCHEMA,
    "cdr_quarantine": QUARANTINE_SCHEMA,
    "usage_line_day": LINE_DAY_SCHEMA,
}


def _listed(store: Path, dataset: str, days: list[str] | None) -> list[str]:
    pattern, by_day = DATASETS[dataset]
    if by_day and days is not None:
        folder, name = pattern.split("/day=*/")
        return sorted(
            str(path)
            for day in sorted(set(days))
            for path in (store / folder / f"day={day}").glob(name)
        )
    return sorted(str(path) for path in store.glob(pattern))


def store_files(store: Path, dataset: str, days: list[str] | None = None) -> list[str]:
    """The published files of one dataset, sorted.

    ``dataset`` is ``cdr``, ``cdr_quarantine`` or ``usage_line_day``; for the
    day-partitioned ones, only the ``days`` (YYYY-MM-DD) given, if any. Call after
    ``recover_store``; the listing is taken under the store's shared lock.
    """
    store = Path(store)
    if not store.exists():
        return []
    with store_lock(store, exclusive=False):
        return _listed(store, dataset, days)


def cdr_parquet_files(store: Path, days: list[str] | None = None) -> list[str]:
    """The store's CDR Parquet files (all days, or only ``days`` as YYYY-MM-DD).

    Rolls forward any interrupted publication first; pass the list to DuckDB's
    ``read_parquet(files, hive_partitioning = true)`` to get the ``day`` column.
    """
    recover_store(Path(store))
    return store_files(Path(store), "cdr", days)


def _view_sql(name: str, files: list[str], by_day: bool) -> str:
    if not files:
        columns = ", ".join(
            f"NULL::{kind} AS {column}" for column, kind in SCHEMAS[name]
        )
        return f"CREATE VIEW {name} AS SELECT {columns} WHERE false"
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    hive = ", hive_partitioning = true, hive_types = {'day': DATE}" if by_day else ""
    return f"CREATE VIEW {name} AS SELECT * FROM read_parquet({listed}{hive})"  # noqa: S608 (quoted paths)


def open_store(store: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the store's views, after recovery.

    Views (a snapshot of the files published when it was opened): ``cdr`` (the
    typed CDRs with ``day``), ``cdr_quarantine`` (the quarantined rows) and
    ``usage_line_day`` (the daily per-line summaries). A view over an empty dataset
    has the dataset's columns and no rows. The caller closes the connection.
    """
    store = Path(store)
    recover_store(store)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    listed: dict[str, list[str]] = {name: [] for name in DATASETS}
    if store.exists():
        with store_lock(store, exclusive=False):  # one snapshot of every dataset
            listed = {name: _listed(store, name, None) for name in DATASETS}
    for name, (_, by_day) in DATASETS.items():
        con.execute(_view_sql(name, listed[name], by_day))
    return con
