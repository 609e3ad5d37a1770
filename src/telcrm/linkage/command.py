"""`telcrm linkage run` and `telcrm linkage evaluate`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rich.console import Console

from telcrm.linkage.services import linkage_evaluate, linkage_run

console = Console(stderr=True)


def run_linkage() -> None:
    started = time.monotonic()
    with console.status("Scoring record pairs (Splink on DuckDB)..."):
        outcome = linkage_run()
    run = outcome.run
    console.print(
        f"Linkage #{run.pk}: {run.records:,} records, {run.pairs:,} scored pairs; "
        f"{outcome.merged:,} duplicate customers merged, {outcome.attached:,} "
        f"accounts attached, {outcome.refused:,} refused by the database; "
        f"{outcome.review_pending:,} pairs wait for review "
        f"({time.monotonic() - started:.1f} s)."
    )


def run_evaluate(truth: Path, *, as_json: bool) -> None:
    if not (truth / "identities.csv").is_file():
        raise SystemExit(f"{truth}: no identities.csv (the generator's truth/ folder)")
    metrics, pending = linkage_evaluate(truth)
    figures = {
        "precision": round(metrics.precision, 6),
        "recall": round(metrics.recall, 6),
        "f1": round(metrics.f1, 6),
        "true_positive_pairs": metrics.true_positive_pairs,
        "predicted_pairs": metrics.predicted_pairs,
        "true_pairs": metrics.true_pairs,
        "review_pending": pending,
    }
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    for name, value in figures.items():
        console.print(f"{name:>20}: {value}")
