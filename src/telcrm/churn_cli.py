"""`telcrm churn evaluate`: cross-validate the churn model on a labelled CSV table.

Runs before any configuration: it never imports Django, only the analytics library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

churn_app = typer.Typer(
    help="The churn model: evaluate it on a labelled customer table (CSV).",
    no_args_is_help=True,
    add_completion=False,
)

console = Console(stderr=True)


@churn_app.callback()
def churn() -> None:
    """The churn model: evaluate it on a labelled customer table (CSV)."""


MEASURES = ("auc", "top_decile_lift", "accuracy", "log_loss", "brier")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _rounded(report: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {name: round(report[name], 4) for name in MEASURES}
    if "precision_at_capacity" in report:
        figures["capacity"] = report["capacity"]
        figures["precision_at_capacity"] = round(report["precision_at_capacity"], 4)
    figures.update(
        rows=report["rows"],
        positives=report["positives"],
        base_rate=round(report["base_rate"], 4),
        folds=report["folds"],
        seed=report["seed"],
        fold_auc=[round(a, 4) for a in report["fold_auc"]],
        calibration=[
            {
                "bin": b["bin"],
                "count": b["count"],
                "mean_predicted": None
                if b["mean_predicted"] is None
                else round(b["mean_predicted"], 4),
                "observed": None if b["observed"] is None else round(b["observed"], 4),
            }
            for b in report["calibration"]
        ],
    )
    return figures


def _print_tables(data: Path, target: str, figures: dict[str, Any]) -> None:
    measures = Table(
        title=f"{data.name}: churn model, {figures['folds']}-fold stratified "
        f"cross-validation (seed {figures['seed']})"
    )
    measures.add_column("measure")
    measures.add_column("value", justify="right")
    for name in MEASURES:
        measures.add_row(name, f"{figures[name]:.4f}")
    if "precision_at_capacity" in figures:
        measures.add_row(
            f"precision at capacity ({figures['capacity']:,})",
            f"{figures['precision_at_capacity']:.4f}",
        )
    measures.add_row("fold AUCs", ", ".join(f"{a:.4f}" for a in figures["fold_auc"]))
    measures.add_row(
        f"rows ({target} = yes)",
        f"{figures['rows']:,} ({figures['positives']:,}, {figures['base_rate']:.2%})",
    )
    console.print(measures)
    calibration = Table(title="Calibration (out-of-fold predictions)")
    for name in ("predicted", "customers", "mean predicted", "observed"):
        calibration.add_column(name, justify="right")
    for b in figures["calibration"]:
        if b["count"]:
            calibration.add_row(
                b["bin"],
                f"{b['count']:,}",
                f"{b['mean_predicted']:.3f}",
                f"{b['observed']:.3f}",
            )
    console.print(calibration)


@churn_app.command()
def evaluate(
    data: Annotated[
        Path, typer.Option(help="CSV file: one row per customer, with a header")
    ],
    target: Annotated[
        str, typer.Option(help="Column holding the outcome (yes/no, 1/0, true/false)")
    ],
    id_column: Annotated[
        str | None,
        typer.Option("--id", help="Column identifying the customer (not a feature)"),
    ] = None,
    folds: Annotated[
        int, typer.Option(min=2, max=20, help="Stratified cross-validation folds")
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds and the model")] = 0,
    capacity: Annotated[
        int | None,
        typer.Option(min=1, help="Customers the retention team can call (top-k)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON on stdout")
    ] = False,
) -> None:
    """Cross-validate the churn model on a labelled table (AUC, lift, accuracy...).

    Every customer is scored by a model trained without them.
    """
    import pandas as pd

    from telcrm_pipeline.models import TargetError, cross_validate, prepare_table

    if not data.is_file():
        raise _fail(f"{data}: no such file")
    try:
        table = pd.read_csv(data, low_memory=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise _fail(f"{data}: not a readable CSV file ({error})") from error
    try:
        X, y, _ = prepare_table(table, target=target, id_column=id_column)
    except TargetError as error:
        where = f"{data}" if error.row is None else f"{data}, line {error.row + 1}"
        raise _fail(f"{where}: {error}") from error
    except ValueError as error:
        raise _fail(f"{data}: {error}") from error
    try:
        report = cross_validate(X, y, folds=folds, seed=seed, capacity=capacity)
    except ValueError as error:
        raise _fail(f"{data}: cannot cross-validate: {error}") from error
    figures = _rounded(report)
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    _print_tables(data, target, figures)
