"""Per-line usage summaries for the operational database (customer 360 view).

``usage_line_day``: grain one service number and one day; key (service_no, day). One
Parquet file per day, ``STORE/usage/line_day/day=YYYY-MM-DD/line_day.parquet``,
recomputed from that day's CDR partition by :func:`summarise_days` and published
through the store's journal. ``line_month_usage``: grain one service number and one
month; key (service_no, period), rolled up from the daily files.

A record counts for both parties it names: outgoing for the caller, incoming for the
callee of a voice call or an SMS (the store does not know which numbers are ours; the
operational side keeps the rows of its own lines). Charges, international calls,
roaming events and contacts are the caller's (incoming records are free, see
``docs/silos.md``). See ``docs/cdr-store.md`` for the columns.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from telcrm_pipeline.cdr_store.journal import (
    fsync_dir,
    fsync_file,
    publish,
    recover_store,
)
from telcrm_pipeline.cdr_store.reader import LINE_DAY_SCHEMA, store_files

LINE_DAY_DIR = Path("usage") / "line_day"
LINE_DAY_FILE = "line_day.parquet"
SOURCES_KEY = "cdr_parts"

MEASURES = tuple(name for name, _ in LINE_DAY_SCHEMA[2:])


def _files_sql(files: Sequence[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _line_day_sql(parts: Sequence[str]) -> str:
    """One day's per-line summary (without ``day``: the folder holds it)."""
    return f"""
        WITH r AS NOT MATERIALIZED (
            SELECT record_type, call_type, caller, callee, start_time, duration_s,
                bytes, charge, roaming
            FROM read_parquet({_files_sql(parts)})
        ), o AS (
            SELECT caller AS service_no,
                count(*) FILTER (WHERE record_type = 'voice') AS voice_out_calls,
                sum(duration_s) FILTER (WHERE record_type = 'voice')
                    AS voice_out_seconds,
                count(*) FILTER (WHERE record_type = 'sms') AS sms_out,
                count(*) FILTER (WHERE record_type = 'data') AS data_sessions,
                sum(bytes) FILTER (WHERE record_type = 'data') AS data_bytes,
                sum(charge) AS charge,
                count(*) FILTER (WHERE call_type = 'international')
                    AS international_calls,
                count(*) FILTER (WHERE roaming) AS roaming_events,
                min(start_time) AS first_out, max(start_time) AS last_out
            FROM r GROUP BY caller
        ), c AS (
            -- DISTINCT pairs, then a count: much faster than count(DISTINCT).
            SELECT caller AS service_no, count(*) AS distinct_contacts
            FROM (SELECT DISTINCT caller, callee FROM r WHERE record_type <> 'data')
            GROUP BY caller
        ), i AS (
            SELECT callee AS service_no,
                count(*) FILTER (WHERE record_type = 'voice') AS voice_in_calls,
                sum(duration_s) FILTER (WHERE record_type = 'voice')
                    AS voice_in_seconds,
                count(*) FILTER (WHERE record_type = 'sms') AS sms_in,
                min(start_time) AS first_in, max(start_time) AS last_in
            FROM r WHERE record_type <> 'data' GROUP BY callee
        )
        SELECT service_no,
            coalesce(voice_out_calls, 0)::BIGINT AS voice_out_calls,
            coalesce(voice_out_seconds, 0)::BIGINT AS voice_out_seconds,
            coalesce(voice_in_calls, 0)::BIGINT AS voice_in_calls,
            coalesce(voice_in_seconds, 0)::BIGINT AS voice_in_seconds,
            coalesce(sms_out, 0)::BIGINT AS sms_out,
            coalesce(sms_in, 0)::BIGINT AS sms_in,
            coalesce(data_sessions, 0)::BIGINT AS data_sessions,
            coalesce(data_bytes, 0)::BIGINT AS data_bytes,
            coalesce(charge, 0)::DECIMAL(12,2) AS charge,
            coalesce(international_calls, 0)::BIGINT AS international_calls,
            coalesce(roaming_events, 0)::BIGINT AS roaming_events,
            coalesce(distinct_contacts, 0)::BIGINT AS distinct_contacts,
            least(first_out, first_in) AS first_event_at,
            greatest(last_out, last_in) AS last_event_at
        FROM o LEFT JOIN c USING (service_no) FULL JOIN i USING (service_no)
        ORDER BY service_no
    """  # noqa: S608 (quoted paths, the rest is constant)


def _summary_path(store: Path, day: str) -> Path:
    return store / LINE_DAY_DIR / f"day={day}" / LINE_DAY_FILE


def _sources_of(con: duckdb.DuckDBPyConnection, summary: Path) -> str | None:
    """The CDR part names a summary file was computed from (its metadata)."""
    if not summary.exists():
        return None
    row = con.execute(
        "SELECT value::VARCHAR FROM parquet_kv_metadata(?) WHERE key::VARCHAR = ?",
        [str(summary), SOURCES_KEY],
    ).fetchone()
    return None if row is None else str(row[0])


def _cdr_days(store: Path) -> list[str]:
    return sorted(
        {Path(f).parent.name.removeprefix("day=") for f in store_files(store, "cdr")}
    )


def summarise_days(store: Path, days: Iterable[str] | None = None) -> int:
    """Recompute the daily per-line summaries of ``days`` (YYYY-MM-DD).

    Pass the ``days`` of the ``CdrFileReport``\\ s of an ingest. With ``days=None``,
    every day whose summary is missing or was computed from other CDR files than the
    day's current ones (each summary records its sources in its Parquet metadata), so
    a run killed between an ingest and its summaries is caught up. All the days'
    files are published together through the journal. Returns the number of day
    files written (a day without CDRs has no summary).
    """
    store = Path(store)
    recover_store(store)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    scratch = store / ".work" / f"usage-{uuid.uuid4().hex[:12]}"
    moves: list[tuple[Path, Path]] = []
    try:
        wanted = _cdr_days(store) if days is None else sorted(set(days))
        for day in wanted:
            parts = store_files(store, "cdr", [day])
            if not parts:
                continue
            sources = ",".join(Path(p).name for p in parts)
            target = _summary_path(store, day)
            if days is None and _sources_of(con, target) == sources:
                continue
            scratch.mkdir(parents=True, exist_ok=True)
            staged = scratch / f"line_day_{day}.parquet"
            con.execute(
                f"""
                COPY ({_line_day_sql(parts)}) TO '{staged}'
                (FORMAT parquet, KV_METADATA {{{SOURCES_KEY}: '{sources}'}})
                """
            )
            fsync_file(staged)
            moves.append((staged, target))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    finally:
        con.close()
    if moves:
        fsync_dir(scratch)
        # If this raises, the journal stays and recovery finishes the job.
        publish(store, moves, name="usage", scratch=scratch)
        scratch.rmdir()
    return len(moves)


def line_month_usage(store: Path, periods: Sequence[str] | None = None) -> pa.Table:
    """Monthly per-line usage (``period`` YYYY-MM), rolled up from the daily files.

    Columns: ``service_no``, ``period``, the daily measures summed (``charge`` stays
    DECIMAL(12,2)), except ``distinct_contacts``, the largest daily figure of the
    month (distinct contacts cannot be added up from days), ``first_event_at`` and
    ``last_event_at`` (earliest, latest), and ``active_days`` (days with a daily row).
    Sorted by period and service number; ``periods=None`` means every month.
    """
    store = Path(store)
    recover_store(store)
    files = store_files(store, "usage_line_day")
    if periods is not None:
        wanted = set(periods)
        files = [f for f in files if Path(f).parent.name[4:11] in wanted]
    rollup = {
        "charge": "sum(charge)::DECIMAL(12,2)",
        "distinct_contacts": "max(distinct_contacts)::BIGINT",
        "first_event_at": "min(first_event_at)",
        "last_event_at": "max(last_event_at)",
    }
    measures = ", ".join(
        f"{rollup.get(m, f'sum({m})::BIGINT')} AS {m}" for m in MEASURES
    )
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        if files:
            source = (
                f"read_parquet({_files_sql(files)}, hive_partitioning = true, "
                "hive_types = {'day': DATE})"
            )
        else:
            columns = ", ".join(f"NULL::{kind} AS {c}" for c, kind in LINE_DAY_SCHEMA)
            source = f"(SELECT {columns} WHERE false)"
        return con.sql(
            f"""
            SELECT service_no, strftime(day, '%Y-%m') AS period,
                {measures},
                count(*)::BIGINT AS active_days
            FROM {source}
            GROUP BY service_no, period
            ORDER BY period, service_no
            """  # noqa: S608 (quoted paths, the rest is constant)
        ).to_arrow_table()
