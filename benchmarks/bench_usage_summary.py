"""Usage summaries: one day's CDR partition to the daily per-line summary.

Writes one day of ``--rows`` CDRs (generated with DuckDB SQL: ``--rows / 20`` lines,
calls and SMS mostly between them, a fifth of them from off-net numbers, a third data
sessions) straight into a store's day partition, then times three stages, each in
its own child process (so the peak memory reported is the stage's own):

1. ``summary``: ``telcrm_pipeline.cdr_store.summarise_days`` for that day;
2. ``pandas``: the same figures with ``pandas.read_parquet`` and ``groupby``
   (caller side, callee side, ``nunique`` contacts, outer join, Parquet out);
3. ``scan``: DuckDB reading every column the summary reads (``min``/``sum`` of each),
   the floor for anything that looks at every row.

    python -m benchmarks.bench_usage_summary [--rows 10000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

from benchmarks.child import (
    figures_from_child,
    print_stage_figures,
    print_stage_rows,
)

STAGES = ("summary", "pandas", "scan")
CHILD_STAGES = ("write", *STAGES)
DAY = "2026-06-01"
COLUMNS = (
    "record_type",
    "call_type",
    "caller",
    "callee",
    "start_time",
    "duration_s",
    "bytes",
    "charge",
    "roaming",
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--child", choices=CHILD_STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_day(rows: int, store: Path) -> Path:
    """One day partition of ``rows`` CDRs, typed as the store keeps them."""
    lines = max(rows // 20, 1)
    folder = store / "cdr" / f"day={DAY}"
    folder.mkdir(parents=True)
    part = folder / "part-bench.parquet"
    sql = f"""
        COPY (
            SELECT i + 1 AS cdr_id,
                ['voice', 'sms', 'data'][i % 3 + 1] AS record_type,
                CASE i % 3
                    WHEN 0 THEN ['local', 'long_distance', 'international',
                                 'info_service'][(i // 3) % 4 + 1]
                    WHEN 1 THEN 'p2p' ELSE 'data' END AS call_type,
                CASE WHEN i % 5 = 4 AND i % 3 <> 2
                    THEN (2100000000 + (i * 7919) % 99999999)::VARCHAR
                    ELSE (13000000000 + (i * 7919) % {lines})::VARCHAR END AS caller,
                CASE WHEN i % 3 = 2 THEN 'cmnet'
                    ELSE (13000000000 + (i * 104729) % {lines})::VARCHAR END AS callee,
                TIMESTAMP '{DAY}' + to_seconds(i * 86400 // {rows}) AS start_time,
                CASE WHEN i % 3 = 1 THEN 0 ELSE i % 1800 END::INTEGER AS duration_s,
                CASE WHEN i % 3 = 2 THEN (i * 7717) % 20000000 ELSE 0 END::BIGINT
                    AS bytes,
                ((i % 300) / 100.0)::DECIMAL(12,2) AS charge,
                '460-00-' || (22000 + i % 100) || '-' || (10000 + i % 40000)
                    AS cell_id,
                i % 17 = 0 AS roaming
            FROM range({rows}) t(i)
            ORDER BY start_time
        ) TO '{part}' (FORMAT parquet)
    """  # noqa: S608 (numbers and a temporary path)
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(sql)
    return part


def run_summary(store: Path, out: Path) -> int:
    from telcrm_pipeline.cdr_store import summarise_days

    assert summarise_days(store, [DAY]) == 1
    summary = store / "usage" / "line_day" / f"day={DAY}" / "line_day.parquet"
    with duckdb.connect() as con:
        result = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(summary)]
        ).fetchone()
    assert result is not None
    return int(result[0])


def run_scan(store: Path, out: Path) -> int:
    """Read and decode every column the summary reads, nothing else."""
    part = store / "cdr" / f"day={DAY}" / "part-bench.parquet"
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        result = con.execute(
            """
            SELECT count(*), min(record_type), min(call_type), min(caller),
                min(callee), min(start_time), sum(duration_s), sum(bytes),
                sum(charge), count(*) FILTER (WHERE roaming)
            FROM read_parquet(?)
            """,
            [str(part)],
        ).fetchone()
    assert result is not None
    return int(result[0])


def run_pandas(store: Path, out: Path) -> int:
    """The same daily figures with pandas ``groupby`` (charge as a float sum)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    part = store / "cdr" / f"day={DAY}" / "part-bench.parquet"
    table = pq.read_table(part, columns=list(COLUMNS))
    table = table.set_column(
        table.schema.get_field_index("charge"),
        "charge",
        table["charge"].cast(pa.float64()),
    )
    df = table.to_pandas()
    voice = df["record_type"] == "voice"
    sms = df["record_type"] == "sms"
    data = df["record_type"] == "data"
    df["voice"] = voice
    df["sms"] = sms
    df["data"] = data
    df["voice_s"] = df["duration_s"].where(voice, 0)
    df["data_b"] = df["bytes"].where(data, 0)
    df["intl"] = df["call_type"] == "international"
    out_side = df.groupby("caller").agg(
        voice_out_calls=("voice", "sum"),
        voice_out_seconds=("voice_s", "sum"),
        sms_out=("sms", "sum"),
        data_sessions=("data", "sum"),
        data_bytes=("data_b", "sum"),
        charge=("charge", "sum"),
        international_calls=("intl", "sum"),
        roaming_events=("roaming", "sum"),
        first_out=("start_time", "min"),
        last_out=("start_time", "max"),
    )
    talk = df[~data]
    contacts = talk.groupby("caller")["callee"].nunique().rename("distinct_contacts")
    in_side = talk.groupby("callee").agg(
        voice_in_calls=("voice", "sum"),
        voice_in_seconds=("voice_s", "sum"),
        sms_in=("sms", "sum"),
        first_in=("start_time", "min"),
        last_in=("start_time", "max"),
    )
    summary = out_side.join(contacts).join(in_side, how="outer")
    summary["first_event_at"] = summary[["first_out", "first_in"]].min(axis=1)
    summary["last_event_at"] = summary[["last_out", "last_in"]].max(axis=1)
    summary = summary.drop(columns=["first_out", "first_in", "last_out", "last_in"])
    counts = [c for c in summary.columns if not c.endswith("_at")]
    summary[counts] = summary[counts].fillna(0)
    summary = summary.sort_index()
    summary.index.name = "service_no"
    summary.reset_index().to_parquet(out / "line_day.parquet")
    return len(summary)


def run_write(store: Path, out: Path) -> int:
    write_day(int(out.name.removeprefix("write-")), store)
    return int(out.name.removeprefix("write-"))


def run_child(args: argparse.Namespace) -> None:
    """Run one stage and print its figures as JSON."""
    stage = {
        "write": run_write,
        "summary": run_summary,
        "pandas": run_pandas,
        "scan": run_scan,
    }
    print_stage_figures(lambda: stage[args.child](args.store, args.out))


def stage_in_child(stage: str, store: Path, out: Path) -> dict[str, float]:
    """Run one stage in a fresh interpreter and collect its figures."""
    out.mkdir()
    options = ["--child", stage, "--store", str(store), "--out", str(out)]
    return figures_from_child("benchmarks.bench_usage_summary", options)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench_usage_summary_") as tmp:
        store = Path(tmp) / "store"
        # Written in a child too: the stages' peak memory must not include the
        # writer's (Linux keeps a process's peak RSS across fork and exec).
        written = stage_in_child("write", store, Path(tmp) / f"write-{args.rows}")
        part = store / "cdr" / f"day={DAY}" / "part-bench.parquet"
        size_mib = part.stat().st_size / 2**20
        figures = {
            stage: stage_in_child(stage, store, Path(tmp) / stage) for stage in STAGES
        }
    print(
        f"CDR rows (one day)     {args.rows:,} ({size_mib:,.0f} MiB of Parquet; ",
        end="",
    )
    print(f"written in {written['seconds']:.1f} s)")
    print_stage_rows(args.rows, figures, STAGES)
    summary, scan = figures["summary"]["seconds"], figures["scan"]["seconds"]
    pandas = figures["pandas"]["seconds"]
    print(f"summary / scan         {summary / scan:.2f}")
    print(f"pandas / summary       {pandas / summary:.2f}")


if __name__ == "__main__":
    main()
