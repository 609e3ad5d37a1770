"""`telcrm generate`: the synthetic operator behind a Rich progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from telcrm_pipeline.synthetic import (
    GenerationReport,
    GeneratorConfig,
    generate_operator,
)
from telcrm_pipeline.synthetic.config import DEFAULT_START, SUPPORTED_ENCODINGS


def run_generate(
    *,
    out: Path,
    customers: int,
    months: int,
    seed: int,
    encoding: str,
    start: str | None,
) -> GenerationReport:
    """Generate the operator into ``out`` and print a summary of the files written."""
    if encoding.lower().replace("_", "-") not in (*SUPPORTED_ENCODINGS, "utf8"):
        raise typer.BadParameter(
            f"unsupported encoding {encoding!r}: use utf-8 or gbk",
            param_hint="--encoding",
        )
    try:
        config = GeneratorConfig(
            customers=customers,
            months=months,
            seed=seed,
            out=out,
            encoding=encoding,
            start=start or DEFAULT_START,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    console = Console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, int] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = int(bar.add_task(stage, total=total))
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        report = generate_operator(config, progress=advance)
    console.print(summary(report))
    return report


def summary(report: GenerationReport) -> Table:
    """Rows per silo file (CDR days summed), CDR throughput and time."""
    table = Table(title=f"Synthetic operator in {report.out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        if not name.startswith("cdr/"):
            table.add_row(name, f"{rows:,}")
    table.add_row("cdr/ (all days)", f"{report.cdr_rows:,}")
    table.caption = (
        f"{report.elapsed_s:.1f} s, {report.cdr_rows_per_second:,.0f} CDR rows/s"
    )
    return table
