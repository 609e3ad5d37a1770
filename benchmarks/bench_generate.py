"""Synthetic operator generation: CDR rows per second, end to end.

The generator runs in a child process, so the peak memory reported is its own.
The baseline writes the same number of CDR-shaped rows, made of pre-generated random
columns, with a bare ``pyarrow.csv.write_csv``: the practical limit of writing CSV.

    python -m benchmarks.bench_generate [--customers 100000] [--months 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator
from telcrm_pipeline.synthetic.writer import CDR_WRITE_OPTIONS, money


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_child(args: argparse.Namespace) -> None:
    """Generate into ``args.child`` and print the figures as JSON."""
    config = GeneratorConfig(
        customers=args.customers, months=args.months, seed=args.seed, out=args.child
    )
    began = time.process_time()
    report = generate_operator(config)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "cdr_rows": report.cdr_rows,
        "elapsed_s": report.elapsed_s,
        "cpu_s": time.process_time() - began,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "rows": sum(report.rows.values()),
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def generate_in_child(args: argparse.Namespace, out: Path) -> dict[str, float]:
    """Run the generator in a fresh interpreter and collect its figures."""
    command = [sys.executable, "-m", "benchmarks.bench_generate", "--child", str(out)]
    command += ["--customers", str(args.customers), "--months", str(args.months)]
    command += ["--seed", str(args.seed)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def cdr_shaped_table(rows: int) -> pa.Table:
    """Random columns with the CDR file's shape (types and typical widths)."""
    rng = np.random.default_rng(0)
    numbers = pa.array(rng.integers(13_000_000_000, 13_999_999_999, rows))
    return pa.table(
        {
            "cdr_id": pa.array(np.arange(rows, dtype=np.int64)),
            "record_type": pa.array(["voice", "sms", "data"]).take(
                pa.array(rng.integers(0, 3, rows))
            ),
            "call_type": pa.array(["local", "long_distance", "p2p", "data"]).take(
                pa.array(rng.integers(0, 4, rows))
            ),
            "caller": pc.cast(numbers, pa.string()),
            "callee": pc.cast(
                pa.array(rng.permutation(numbers.to_numpy())), pa.string()
            ),
            "start_time": pa.array(
                np.sort(rng.integers(1_780_000_000, 1_780_086_400, rows))
            ).cast(pa.timestamp("s")),
            "duration_s": pa.array(rng.integers(0, 600, rows)),
            "bytes": pa.array(rng.integers(0, 10_000_000, rows)),
            "charge": money(rng.integers(0, 300, rows)),
            "cell_id": pa.array(
                [f"460-00-{22000 + i}-{10000 + i}" for i in range(4000)]
            ).take(pa.array(rng.integers(0, 4000, rows))),
            "roaming": pa.array(rng.integers(0, 2, rows).astype(np.int8)),
        }
    )


def baseline_seconds(total_rows: int, out: Path) -> float:
    """Time to write ``total_rows`` CDR-shaped rows, one file per 'day' of 1M rows."""
    chunk = cdr_shaped_table(min(total_rows, 1_000_000))
    written, elapsed, day = 0, 0.0, 0
    while written < total_rows:
        table = chunk.slice(0, min(chunk.num_rows, total_rows - written))
        began = time.perf_counter()
        pa_csv.write_csv(table, out / f"day_{day}.csv", write_options=CDR_WRITE_OPTIONS)
        elapsed += time.perf_counter() - began
        (out / f"day_{day}.csv").unlink()
        written += table.num_rows
        day += 1
    return elapsed


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        figures = generate_in_child(args, Path(tmp) / "operator")
        baseline = baseline_seconds(int(figures["cdr_rows"]), Path(tmp))
    rate = figures["cdr_rows"] / figures["elapsed_s"]
    baseline_rate = figures["cdr_rows"] / baseline
    print(f"customers x months     {args.customers:,} x {args.months}")
    print(f"CDR rows               {int(figures['cdr_rows']):,}")
    print(f"rows in all files      {int(figures['rows']):,}")
    print(f"elapsed (wall)         {figures['elapsed_s']:.1f} s")
    print(f"CPU time               {figures['cpu_s']:.1f} s")
    user, system = figures["user_s"], figures["system_s"]
    print(f"  user / system        {user:.1f} s / {system:.1f} s")
    print(f"CDR rows/s (wall)      {rate:,.0f}")
    print(f"CDR rows per CPU-s     {figures['cdr_rows'] / figures['cpu_s']:,.0f}")
    print(f"peak memory (child)    {figures['peak_rss_mib']:,.0f} MiB")
    print(f"baseline write_csv     {baseline_rate:,.0f} rows/s ({baseline:.1f} s)")
    print(f"generator / baseline   {rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
