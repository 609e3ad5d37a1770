"""Benchmark the consumption-pattern feature stage (per line and month) on CDRs.

Writes one day partition of ``--rows`` CDRs into a store (the same data as
``bench_usage_summary``), then runs, each in its own child process:

1. **features**: ``telcrm_pipeline.features.line_month_usage`` through Ibis on DuckDB,
   written to Parquet;
2. **pandas**: the same figures with a vectorised pandas ``groupby``;
3. **scan**: DuckDB reading every column the features read (the floor);
4. **spark** (with ``--spark``): the same Ibis expression on PySpark local[2].

    python -m benchmarks.bench_features --rows 20000000 [--spark]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_usage_summary import DAY, run_scan, write_day
from benchmarks.child import (
    figures_from_child,
    print_stage_figures,
    print_stage_rows,
)

STAGES = ("features", "pandas", "scan")
CHILD_STAGES = ("write", *STAGES, "spark")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--spark", action="store_true", help="also run on PySpark")
    parser.add_argument("--child", choices=CHILD_STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows-to-write", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def operator_numbers(rows: int) -> list[str]:
    """The operator's own lines in ``write_day``'s data (its other callers are other
    networks' numbers calling in): the features are computed for these."""
    return [str(13000000000 + line) for line in range(max(rows // 20, 1))]


def run_features(store: Path, out: Path, rows: int) -> int:
    import ibis
    import pyarrow as pa

    from telcrm_pipeline.features import cdr_table, duckdb_backend, line_month_usage

    con = duckdb_backend()
    numbers = ibis.memtable(pa.table({"service_no": operator_numbers(rows)}))
    expression = line_month_usage(cdr_table(con, store), numbers)
    con.to_parquet(expression, out / "line_month.parquet")
    return parquet_rows(out / "line_month.parquet")


def run_spark(store: Path, out: Path, rows: int) -> int:
    import ibis
    import pyarrow as pa

    from telcrm_pipeline.features import cdr_table, line_month_usage, spark_backend

    con = spark_backend()
    numbers = ibis.memtable(pa.table({"service_no": operator_numbers(rows)}))
    expression = line_month_usage(cdr_table(con, store), numbers)
    con.to_parquet(expression, out / "line_month.parquet")
    con._session.stop()
    return parquet_rows(out / "line_month.parquet" / "*.parquet")


def parquet_rows(path: Path) -> int:
    import duckdb

    with duckdb.connect() as con:
        found = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)])
        row = found.fetchone()
    assert row is not None
    return int(row[0])


def run_pandas(store: Path, out: Path, rows: int) -> int:
    """The same per-line monthly figures, vectorised pandas (no Python per row),
    outgoing for the operator's own numbers only, as the features."""
    import pandas as pd

    part = store / "cdr" / f"day={DAY}" / "part-bench.parquet"
    everything = pd.read_parquet(part)
    everything["charge"] = everything["charge"].astype("float64")
    everything["month"] = everything["start_time"].dt.to_period("M")
    df = everything[everything["caller"].isin(set(operator_numbers(rows)))]
    voice = df["record_type"] == "voice"
    contact = voice | (df["record_type"] == "sms")
    minutes = df["duration_s"] / 60
    hour, weekday = df["start_time"].dt.hour, df["start_time"].dt.weekday
    columns = {
        "voice_calls": voice,
        "voice_minutes": minutes.where(voice, 0.0),
        "local_minutes": minutes.where(voice & (df["call_type"] == "local"), 0.0),
        "long_distance_minutes": minutes.where(
            voice & (df["call_type"] == "long_distance"), 0.0
        ),
        "international_minutes": minutes.where(
            voice & (df["call_type"] == "international"), 0.0
        ),
        "sms_sent": df["record_type"] == "sms",
        "data_sessions": df["record_type"] == "data",
        "data_mb": (df["bytes"] / 2**20).where(df["record_type"] == "data", 0.0),
        "usage_charge": df["charge"],
        "contact_events": contact,
        "night_events": contact & (hour < 6),
        "evening_events": contact & (hour >= 18),
        "weekend_events": contact & (weekday >= 5),
        "roaming_events": df["roaming"],
    }
    frame = pd.DataFrame(columns).assign(service_no=df["caller"], month=df["month"])
    outgoing = frame.groupby(["service_no", "month"], sort=False).sum()
    contacts = (
        df.loc[contact, ["caller", "month", "callee"]]
        .groupby(["caller", "month"], sort=False)["callee"]
        .nunique()
        .rename("distinct_contacts")
    )
    days = (
        df.assign(day=df["start_time"].dt.date)
        .groupby(["caller", "month"], sort=False)
        .agg(active_days=("day", "nunique"), last_event_at=("start_time", "max"))
    )
    received = everything["record_type"].isin(["voice", "sms"])
    calls = everything.loc[received]
    incoming = (
        pd.DataFrame(
            {
                "service_no": calls["callee"],
                "month": calls["month"],
                "voice_calls_in": calls["record_type"] == "voice",
                "voice_minutes_in": (calls["duration_s"] / 60).where(
                    calls["record_type"] == "voice", 0.0
                ),
                "sms_received": calls["record_type"] == "sms",
            }
        )
        .groupby(["service_no", "month"], sort=False)
        .sum()
    )
    contacts.index.names = days.index.names = ["service_no", "month"]
    result = (
        outgoing.join([contacts, days])
        .join(incoming, how="outer")
        .fillna({"distinct_contacts": 0, "active_days": 0})
        .fillna(0)
        .reset_index()
    )
    result["month"] = result["month"].astype(str)
    result.to_parquet(out / "line_month.parquet")
    return len(result)


def run_write(rows: int, store: Path) -> int:
    write_day(rows, store)
    return rows


def run_child(args: argparse.Namespace) -> None:
    # Libraries load before the clock starts: the stages are timed, not the imports.
    import ibis  # noqa: F401
    import pandas  # noqa: F401

    import telcrm_pipeline.features  # noqa: F401

    if args.child == "write":
        print_stage_figures(lambda: run_write(args.rows_to_write, args.store))
        return
    stage = {
        "features": run_features,
        "pandas": run_pandas,
        "scan": lambda store, out, rows: run_scan(store, out),
        "spark": run_spark,
    }[args.child]
    print_stage_figures(lambda: stage(args.store, args.out, args.rows_to_write))


def stage_in_child(stage: str, store: Path, out: Path, rows: int) -> dict[str, float]:
    out.mkdir()
    options = ["--child", stage, "--store", str(store), "--out", str(out)]
    options += ["--rows-to-write", str(rows)]
    return figures_from_child("benchmarks.bench_features", options)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    stages = (*STAGES, "spark") if args.spark else STAGES
    with tempfile.TemporaryDirectory(prefix="bench_features_") as tmp:
        store = Path(tmp) / "store"
        stage_in_child("write", store, Path(tmp) / "write", args.rows)
        figures = {
            stage: stage_in_child(stage, store, Path(tmp) / stage, args.rows)
            for stage in stages
        }
    print(f"CDR rows (one day)     {args.rows:,}")
    print_stage_rows(args.rows, figures, stages)
    features = figures["features"]["seconds"]
    scan, pandas = figures["scan"]["seconds"], figures["pandas"]["seconds"]
    print(f"features / scan        {features / scan:.2f} (goal <= 5)")
    print(f"pandas / features      {pandas / features:.2f} (goal >= 4)")
    if "spark" in figures:
        print(f"spark / features       {figures['spark']['seconds'] / features:.2f}")


if __name__ == "__main__":
    main()
