"""`telcrm load DIR`: load the silos with progress and print the accounting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from telcrm.loading.reading import SiloFileError
from telcrm.loading.report import LoadReport
from telcrm.loading.service import silos_load

console = Console()


def run_load(silos: Path, *, encoding: str | None = None) -> LoadReport:
    if not silos.is_dir():
        raise SystemExit(f"{silos}: not a directory of silo files")
    with file_progress() as progress:
        try:
            report = silos_load(silos, encoding=encoding, progress=progress)
        except SiloFileError as error:
            raise SystemExit(f"Nothing was loaded: {error}") from error
    print_report(report)
    if report.rejections:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(settings.TELCRM_HOME) / "loads" / f"rejected-{stamp}.csv"
        report.write_rejections(path)
        console.print(f"{len(report.rejections):,} rejected rows kept in {path}")
    return report


@contextmanager
def file_progress() -> Iterator[Callable[[str, int], None]]:
    """One progress line per silo file, counting the rows read so far."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=True) as progress:

        def advance(path: str, rows: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(path, total=None)
            progress.update(tasks[path], completed=rows)

        yield advance


def print_report(report: LoadReport) -> None:
    table = Table(title="Silo load")
    for column in ("file", "read", "loaded", "rejected", "already present"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for item in report.files:
        table.add_row(
            item.path,
            f"{item.read:,}",
            f"{item.loaded:,}",
            f"{item.rejected:,}",
            f"{item.already_present:,}",
        )
    console.print(table)
