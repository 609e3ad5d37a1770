"""Stages measured in a child process, so that each peak memory is the stage's own.

Linux keeps a process's peak RSS (``ru_maxrss``) across fork and exec: a stage run in
the parent would report the largest of everything before it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def print_stage_figures(run: Callable[[], int]) -> None:
    """Run one stage (it returns its row count) and print rows, seconds, peak MiB."""
    began = time.perf_counter()
    rows = run()
    elapsed = time.perf_counter() - began
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_rss_mib": peak_mib()}))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figures_from_child(module: str, options: list[str]) -> dict[str, Any]:
    """Run ``python -m module --child ...`` and read the JSON it prints last."""
    command = [sys.executable, "-m", module, *options]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def print_stage_rows(
    rows: int, figures: dict[str, dict[str, Any]], stages: tuple[str, ...]
) -> None:
    """One line per stage: seconds, input rows per second, peak memory, rows out."""
    for stage in stages:
        got = figures[stage]
        rate = rows / got["seconds"]
        print(
            f"{stage:<8} {got['seconds']:7.1f} s  {rate:>12,.0f} rows/s  "
            f"peak {got['peak_rss_mib']:>7,.0f} MiB  ({int(got['rows']):,} rows out)"
        )
