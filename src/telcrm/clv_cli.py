"""`telcrm clv`: customer lifetime value models fitted on a transaction file.

Runs before any configuration: imports only ``telcrm_pipeline``, Typer and Rich,
never Django. docs/clv.md explains the models and the output.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # pandas and SciPy load only when a command runs (telcrm starts fast)
    import pandas as pd

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD purchases and Gamma-Gamma spend "
    "fitted on a transaction file (see docs/clv.md).",
    no_args_is_help=True,
)


class PeriodChoice(StrEnum):
    W = "W"
    D = "D"
    M = "M"


SEPARATORS = {"whitespace": r"\s+", "tab": "\t", "\\t": "\t"}


@clv_app.callback()
def clv_callback() -> None:
    """Customer lifetime value models."""


def fail(message: str) -> typer.Exit:
    """Print an error to stderr; the caller raises the returned Exit (code 2)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


def read_transactions(path: Path, *, sep: str, header: bool) -> pd.DataFrame:
    import pandas as pd

    """The file as text columns, indexed by line number in the file (1-based).

    Without a header, the columns are named by position: "1", "2", ...
    """
    separator = SEPARATORS.get(sep, sep)
    try:
        frame = pd.read_csv(
            path,
            sep=separator,
            header=0 if header else None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="python" if len(separator) > 1 and separator != r"\s+" else "c",
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise fail(f"{path}: cannot read it: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise fail(f"{path}: the file is empty") from exc
    if not header:
        frame.columns = [str(i + 1) for i in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = frame.index + (2 if header else 1)
    blank = frame.apply(lambda col: col.astype(str).str.strip().isin(["", "nan"]))
    return frame[~blank.all(axis=1)]


@clv_app.command("fit")
def fit_command(
    transactions: Annotated[
        Path,
        typer.Option(
            help="Transaction file: one purchase a row", exists=True, dir_okay=False
        ),
    ],
    customer: Annotated[str, typer.Option(help="Customer id column")],
    date: Annotated[
        str, typer.Option(help="Purchase date column (YYYYMMDD or ISO dates)")
    ],
    value: Annotated[str, typer.Option(help="Purchase value column")],
    calibration_end: Annotated[
        str, typer.Option(help="Last day of the calibration period (inclusive)")
    ],
    period: Annotated[
        PeriodChoice,
        typer.Option(help="Time unit: W weeks, D days, M mean months"),
    ] = PeriodChoice.W,
    sep: Annotated[
        str,
        typer.Option(help='Field separator: "," (default), "whitespace", "tab", ";"'),
    ] = ",",
    header: Annotated[
        bool,
        typer.Option(
            help="First line names the columns; without, name columns 1, 2, ..."
        ),
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the fitted models as JSON on stdout")
    ] = False,
) -> None:
    """Fit BG/NBD and Gamma-Gamma on the calibration period and print the parameters."""
    import pandas as pd

    from telcrm_pipeline.value import (
        ClvInputError,
        fit_bgnbd,
        fit_gamma_gamma,
        parse_dates,
        rfm_summary,
    )

    try:
        cal_end = parse_dates(pd.Series([calibration_end]), column="calibration-end")
    except ClvInputError as exc:
        raise fail(f"--calibration-end: {exc.reason}") from exc
    end = cal_end.iloc[0].date()
    frame = read_transactions(transactions, sep=sep, header=header)
    for column in (customer, date, value):
        if column not in frame.columns:
            raise fail(
                f"{transactions}: no column {column!r} "
                f"(columns: {', '.join(frame.columns)})"
            )
    try:
        rfm = rfm_summary(
            frame,
            customer=customer,
            date=date,
            value=value,
            calibration_end=end,
            period=period.value,
        )
    except ClvInputError as exc:
        where = f"line {exc.row}, " if exc.row is not None else ""
        raise fail(
            f"{transactions}: {where}column {exc.column!r}: {exc.reason}"
        ) from exc
    repeat = int((rfm["frequency"] > 0).sum())
    if len(rfm) == 0:
        raise fail(f"{transactions}: no customer buys on or before {end}")
    if repeat == 0:
        raise fail(f"{transactions}: no customer buys again on or before {end}")
    spenders = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    if len(spenders) == 0:
        raise fail(f"{transactions}: column {value!r}: no repeat customer spends > 0")
    if len(spenders) < repeat:
        typer.echo(
            f"Warning: {repeat - len(spenders)} repeat customer(s) with a mean repeat "
            f"{value!r} of 0 or less left out of the Gamma-Gamma fit",
            err=True,
        )
    bgnbd = fit_bgnbd(rfm["frequency"], rfm["recency"], rfm["T"])
    gg = fit_gamma_gamma(spenders["frequency"], spenders["monetary_value"])
    for name, converged in (("BG/NBD", bgnbd.converged), ("Gamma-Gamma", gg.converged)):
        if not converged:
            typer.echo(f"Warning: the {name} fit did not converge", err=True)
    result: dict[str, Any] = {
        "bgnbd": {
            "r": bgnbd.r,
            "alpha": bgnbd.alpha,
            "a": bgnbd.a,
            "b": bgnbd.b,
            "log_likelihood": bgnbd.log_likelihood,
        },
        "gamma_gamma": {
            "p": gg.p,
            "q": gg.q,
            "gamma": gg.gamma,
            "log_likelihood": gg.log_likelihood,
        },
        "customers": len(rfm),
        "repeat_customers": repeat,
        "period": period.value,
        "calibration_end": end.isoformat(),
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    print_table(result, transactions)


def print_table(result: dict[str, Any], path: Path) -> None:
    table = Table(
        title=f"CLV models: {path.name}, calibration to {result['calibration_end']}, "
        f"period {result['period']}"
    )
    table.add_column("model")
    table.add_column("parameter")
    table.add_column("value", justify="right")
    for model, key in (("BG/NBD", "bgnbd"), ("Gamma-Gamma", "gamma_gamma")):
        for name, number in result[key].items():
            shown = f"{number:.1f}" if name == "log_likelihood" else f"{number:.4f}"
            table.add_row(model, name, shown if math.isfinite(number) else str(number))
    table.add_row("", "customers", str(result["customers"]))
    table.add_row("", "repeat customers", str(result["repeat_customers"]))
    Console(stderr=True).print(table)
