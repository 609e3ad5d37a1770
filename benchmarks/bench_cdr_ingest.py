"""CDR ingest: CSV to the day-partitioned Parquet store, with validation.

Writes one CDR CSV of ``--rows`` rows (generated with DuckDB SQL in the exact
``CDR_COLUMNS`` format), then times three stages, each in its own child process (so
the peak memory reported is the stage's own):

1. ``ingest``: ``telcrm_pipeline.cdr_store.ingest_cdr_files`` into an empty store;
2. ``pandas``: a plain pandas implementation of the same validation and conversion
   (``read_csv(dtype=str)`` in chunks of 2 million rows, the same checks, Parquet by
   day through pyarrow);
3. ``bare``: DuckDB's own ``COPY (SELECT * FROM read_csv(...)) TO '...parquet'``.

    python -m benchmarks.bench_cdr_ingest [--rows 20000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.child import (
    figures_from_child,
    print_stage_figures,
    print_stage_rows,
)
from telcrm_pipeline.silo_contract import CDR_COLUMNS

STAGES = ("ingest", "pandas", "bare")
PANDAS_CHUNK_ROWS = 2_000_000


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_csv(rows: int, path: Path) -> None:
    """A CDR file of ``rows`` valid rows over three days, sorted by start_time."""
    seconds = 3 * 86_400
    sql = f"""
        COPY (
            SELECT i + 1 AS cdr_id,
                ['voice', 'sms', 'data'][i % 3 + 1] AS record_type,
                CASE i % 3
                    WHEN 0 THEN ['local', 'long_distance', 'international',
                                 'info_service'][(i // 3) % 4 + 1]
                    WHEN 1 THEN 'p2p' ELSE 'data' END AS call_type,
                (13000000000 + (i * 7919) % 999999999)::VARCHAR AS caller,
                CASE WHEN i % 3 = 2 THEN 'cmnet'
                    ELSE (13000000000 + (i * 104729) % 999999999)::VARCHAR
                    END AS callee,
                strftime(TIMESTAMP '2026-06-01' + to_seconds(i * {seconds} // {rows}),
                    '%Y-%m-%d %H:%M:%S') AS start_time,
                CASE WHEN i % 3 = 1 THEN 0 ELSE i % 1800 END AS duration_s,
                CASE WHEN i % 3 = 2 THEN (i * 7717) % 20000000 ELSE 0 END AS bytes,
                printf('%.2f', (i % 300) / 100.0) AS charge,
                '460-00-' || (22000 + i % 100) || '-' || (10000 + i % 40000) AS cell_id,
                (i % 17 = 0)::INT AS roaming
            FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',', QUOTE '')
    """  # noqa: S608 (numbers and a temporary path)
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(sql)


def run_ingest(csv: Path, out: Path) -> int:
    from telcrm_pipeline.cdr_store import ingest_cdr_files

    [report] = ingest_cdr_files([csv], out)
    return report.loaded


def run_bare(csv: Path, out: Path) -> int:
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out / 'bare.parquet'}'"  # noqa: S608
        )
        result = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(out / "bare.parquet")]
        ).fetchone()
    assert result is not None
    return int(result[0])


def run_pandas(csv: Path, out: Path) -> int:
    """The same checks and conversion with pandas, chunk by chunk."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    allowed = {
        "voice/local",
        "voice/long_distance",
        "voice/international",
        "voice/info_service",
        "sms/p2p",
        "sms/info_service",
        "data/data",
    }
    seen = pd.Index([], dtype="int64")
    loaded, offset = 0, 0
    quarantine: list[pd.DataFrame] = []
    reader = pd.read_csv(
        csv,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        chunksize=PANDAS_CHUNK_ROWS,
        on_bad_lines="skip",
    )
    for chunk in reader:
        cdr_id = pd.to_numeric(chunk["cdr_id"], errors="coerce")
        start = pd.to_datetime(
            chunk["start_time"], format="%Y-%m-%d %H:%M:%S", errors="coerce"
        )
        duration = pd.to_numeric(chunk["duration_s"], errors="coerce")
        size = pd.to_numeric(chunk["bytes"], errors="coerce")
        charge = pd.to_numeric(chunk["charge"], errors="coerce")
        pair = chunk["record_type"] + "/" + chunk["call_type"]
        checks = {
            "cdr_id": ~(cdr_id > 0),
            "record_type": ~chunk["record_type"].isin(("voice", "sms", "data")),
            "call_type": ~pair.isin(allowed),
            "caller": chunk["caller"].isna(),
            "callee": chunk["callee"].isna(),
            "start_time": start.isna(),
            "duration_s": ~(duration >= 0),
            "bytes": ~(size >= 0),
            "charge": ~(charge >= 0),
            "cell_id": chunk["cell_id"].isna(),
            "roaming": ~chunk["roaming"].isin(("0", "1")),
        }
        bad = pd.Series(False, index=chunk.index)
        for field, failed in checks.items():
            new = failed & ~bad
            if new.any():
                quarantine.append(
                    pd.DataFrame(
                        {
                            "line": chunk.index[new] + 2,
                            "field": field,
                            "reason": "invalid",
                        }
                    )
                )
            bad |= failed
        good = ~bad
        ids = cdr_id[good].astype("int64")
        repeated = ids.duplicated() | ids.isin(seen)
        keep = good.copy()
        keep[ids.index[repeated.to_numpy()]] = False
        seen = seen.append(pd.Index(ids[~repeated.to_numpy()]))
        valid = chunk[keep]
        table = pa.table(
            {
                "cdr_id": pa.array(cdr_id[keep].astype("int64")),
                "record_type": pa.array(valid["record_type"]),
                "call_type": pa.array(valid["call_type"]),
                "caller": pa.array(valid["caller"]),
                "callee": pa.array(valid["callee"]),
                "start_time": pa.array(start[keep]),
                "duration_s": pa.array(duration[keep].astype("int32")),
                "bytes": pa.array(size[keep].astype("int64")),
                "charge": pa.array(valid["charge"]).cast(pa.decimal128(12, 2)),
                "cell_id": pa.array(valid["cell_id"]),
                "roaming": pa.array(valid["roaming"] == "1"),
                "day": pa.array(start[keep].dt.strftime("%Y-%m-%d")),
            }
        )
        pq.write_to_dataset(
            table,
            out / "cdr",
            partition_cols=["day"],
            basename_template=f"part-{offset}-{{i}}.parquet",
        )
        loaded += table.num_rows
        offset += len(chunk)
    if quarantine:
        pd.concat(quarantine).to_parquet(out / "quarantine.parquet")
    return loaded


def run_child(args: argparse.Namespace) -> None:
    """Run one stage and print its figures as JSON."""
    stage = {"ingest": run_ingest, "pandas": run_pandas, "bare": run_bare}[args.child]
    print_stage_figures(lambda: stage(args.csv, args.out))


def stage_in_child(stage: str, csv: Path, out: Path) -> dict[str, float]:
    """Run one stage in a fresh interpreter and collect its figures."""
    out.mkdir()
    options = ["--child", stage, "--csv", str(csv), "--out", str(out)]
    return figures_from_child("benchmarks.bench_cdr_ingest", options)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench_cdr_ingest_") as tmp:
        csv = Path(tmp) / "cdr.csv"
        began = time.perf_counter()
        write_csv(args.rows, csv)
        written = time.perf_counter() - began
        size_mib = csv.stat().st_size / 2**20
        figures = {
            stage: stage_in_child(stage, csv, Path(tmp) / stage) for stage in STAGES
        }
    print(f"CDR rows               {args.rows:,} ({size_mib:,.0f} MiB of CSV, ", end="")
    print(f"{len(CDR_COLUMNS)} columns; written in {written:.1f} s)")
    print_stage_rows(args.rows, figures, STAGES)
    ingest, bare = figures["ingest"]["seconds"], figures["bare"]["seconds"]
    pandas = figures["pandas"]["seconds"]
    print(f"ingest / bare copy     {ingest / bare:.2f} (goal <= 1.5)")
    print(f"pandas / ingest        {pandas / ingest:.2f} (goal >= 3)")


if __name__ == "__main__":
    main()
