"""`telcrm import`: import silo and CDR files with progress, print the accounting."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from telcrm.imports.services import (
    ImportBusy,
    ImportResult,
    import_directory,
    import_files,
)
from telcrm.loading.kinds import CDR_KIND, KINDS
from telcrm.loading.reading import SiloFileError
from telcrm.loading.report import FileReport

# Progress and tables go to stderr, so that --json leaves stdout to the JSON.
console = Console(stderr=True)


def run_import(
    paths: list[Path],
    *,
    kind: str | None = None,
    encoding: str | None = None,
    as_json: bool = False,
) -> ImportResult:
    """`telcrm import DIR` or `telcrm import --kind KIND FILE...`."""
    try:
        with file_progress() as progress:
            if kind is None:
                if len(paths) != 1 or not paths[0].is_dir():
                    raise SystemExit(
                        "Give one directory (telcrm import DIR), or the kind of the "
                        "files (telcrm import --kind KIND FILE...)"
                    )
                result = import_directory(
                    paths[0], encoding=encoding, progress=progress
                )
            else:
                result = import_files(
                    pairs_of_kind(kind, paths), encoding=encoding, progress=progress
                )
    except (SiloFileError, ImportBusy) as error:
        raise SystemExit(f"Nothing was imported: {error}") from error
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
    else:
        print_result(result)
    return result


def pairs_of_kind(kind: str, paths: list[Path]) -> list[tuple[str, Path]]:
    if kind not in KINDS:
        raise SystemExit(f"Unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    missing = [str(path) for path in paths if not path.is_file()]
    if missing or not paths:
        raise SystemExit(f"No such file: {', '.join(missing) or '(none given)'}")
    return [(kind, path) for path in paths]


@contextmanager
def file_progress() -> Iterator[Callable[[str, int], None]]:
    """One progress line per file, counting the rows read so far."""
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


def print_result(result: ImportResult) -> None:
    """One row per silo file; the CDR files (one per day) summed in one row."""
    table = Table(title=f"Import #{result.run.pk}: {result.run.state}")
    for column in ("file", "kind", "read", "loaded", "quarantined", "duplicates"):
        justify: Literal["left", "right"] = (
            "left" if column in {"file", "kind"} else "right"
        )
        table.add_column(column, justify=justify)
    cdr = [item for item in result.files if item.kind == CDR_KIND]
    rows = [item for item in result.files if item.kind != CDR_KIND]
    if cdr:
        rows.append(
            FileReport(
                path=f"{len(cdr)} CDR files",
                kind=CDR_KIND,
                read=sum(item.read for item in cdr),
                loaded=sum(item.loaded for item in cdr),
                quarantined=sum(item.quarantined for item in cdr),
                duplicates=sum(item.duplicates for item in cdr),
            )
        )
    for item in rows:
        table.add_row(
            item.path,
            item.kind,
            f"{item.read:,}",
            f"{item.loaded:,}",
            f"{item.quarantined:,}",
            f"{item.duplicates:,}",
        )
    console.print(table)
    if result.quarantined:
        console.print(
            f"{result.quarantined:,} rows are in quarantine: fix or discard them in "
            "the web app (Imports and quarantine > Quarantined rows)."
        )
