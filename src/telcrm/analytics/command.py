"""`telcrm pipeline run|evaluate` and `telcrm model list|approve`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(stderr=True)


def say(stage: str, message: str) -> None:
    console.print(f"[bold]{stage:>9}[/bold]  {message}")


def run_pipeline_command(*, as_json: bool) -> None:
    from telcrm.analytics.services import pipeline_run

    outcome = pipeline_run(progress=say)
    run = outcome.run
    console.print(
        f"Pipeline run #{run.pk}: {outcome.scores_written:,} customers scored, "
        f"{outcome.flags_written:,} fraud flags written; marts in {run.marts}"
    )
    if as_json:
        sys.stdout.write(json.dumps({"run": run.pk, **run.summary}) + "\n")


def evaluate_command(truth: Path, *, as_json: bool) -> None:
    from telcrm.analytics.selectors import latest_completed_run
    from telcrm_pipeline.evaluate import evaluate_run

    for name in ("churn.csv", "fraud.csv", "defaulters.csv"):
        if not (truth / name).is_file():
            raise SystemExit(f"{truth}: no {name} (the generator's truth/ folder)")
    run = latest_completed_run()
    if run is None:
        raise SystemExit("no completed pipeline run: run `telcrm pipeline run` first")
    figures = {"run": run.pk, **evaluate_run(Path(run.marts), truth)}
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    print_figures(figures)


def print_figures(figures: dict[str, Any], indent: str = "") -> None:
    for name, value in figures.items():
        if isinstance(value, dict):
            console.print(f"{indent}{name}:")
            print_figures(value, indent + "  ")
        elif isinstance(value, float):
            console.print(f"{indent}{name}: {value:.4f}")
        else:
            console.print(f"{indent}{name}: {value}")


def model_list_command(kind: str) -> None:
    from telcrm.analytics.services import model_registry

    registry = model_registry()
    approved = registry.approved(kind)
    table = Table(title=f"{kind} models")
    for column in ("version", "created", "training window", "AUC", "approved"):
        table.add_column(column)
    for version in registry.versions(kind):
        quality = version.quality
        table.add_row(
            str(version.version),
            str(version.created_at)[:19],
            f"{version.training_window[0]} - {version.training_window[1]}",
            f"{quality.get('auc', float('nan')):.4f}",
            "yes" if approved and approved.version == version.version else "",
        )
    console.print(table)


def model_approve_command(kind: str, version: int, *, note: str) -> None:
    from telcrm.analytics.services import model_registry
    from telcrm.lib.login import login_name

    approved = model_registry().approve(kind, version, by=login_name(), note=note)
    console.print(f"{kind} model v{approved.version} approved: scoring now uses it.")
