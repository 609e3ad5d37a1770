"""State shared by the loaders of one run: the source, the accounting, the zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from telcrm.loading.inserting import Pending, insert_pending, validate_fields
from telcrm.loading.kinds import SILO_KINDS
from telcrm.loading.parsing import RowError, check_readable
from telcrm.loading.reading import RowSource
from telcrm.loading.report import FileReport, LoadReport, Rejection

Progress = Callable[[str, int], None]


@dataclass
class LoadContext:
    """One load run: where rows come from, where their fate is counted, and the
    operator's time zone that silo times are read in."""

    source: RowSource
    report: LoadReport = field(default_factory=LoadReport)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    progress: Progress | None = None
    # Staff re-submitting fixed rows: rows without a key of their own (contacts,
    # bill items) load even when their owner already has some.
    resubmission: bool = False

    def file_report(self, relpath: str) -> FileReport:
        """The accounting of the file standing for ``relpath`` in this run."""
        return self.report.file(self.source.display(relpath), KIND_OF[relpath])

    def rows(
        self, relpath: str, columns: tuple[str, ...], file_report: FileReport
    ) -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in self.source.rows(relpath, columns=columns):
            file_report.read += 1
            # Report on the first row (a file appears at once), then every 2,000.
            if self.progress and (
                file_report.read == 1 or file_report.read % 2000 == 0
            ):
                self.progress(file_report.path, file_report.read)
            yield line, row

    def reject(
        self, file_report: FileReport, line: int, row: dict[str, str], error: RowError
    ) -> None:
        rejection = Rejection(
            file_report.path, file_report.kind, line, error.field, error.reason, row
        )
        self.report.reject(file_report, rejection)


M = TypeVar("M", bound=models.Model)
KIND_OF = {relpath: kind for kind, relpath in SILO_KINDS.items()}


def load_rows(
    ctx: LoadContext,
    relpath: str,
    columns: tuple[str, ...],
    *,
    key: str | None,
    present: set[str],
    build: Callable[[dict[str, str]], M],
    model: type[M],
    unique: bool = True,
) -> list[Pending[M]]:
    """Load a flat file: parse and validate each row, then insert in bulk."""
    file_report, pending = parse_rows(
        ctx, relpath, columns, key=key, present=present, build=build, unique=unique
    )
    return insert_parsed(ctx, file_report, model, pending)


def parse_rows(
    ctx: LoadContext,
    relpath: str,
    columns: tuple[str, ...],
    *,
    key: str | None,
    present: set[str],
    build: Callable[[dict[str, str]], M],
    unique: bool = True,
) -> tuple[FileReport, list[Pending[M]]]:
    """Parse and validate a file's rows, skipping what an earlier run loaded.

    ``key`` is the file's natural key column (``unique=False``: the key of the owning
    record); rows whose key is in ``present`` were loaded by an earlier run and are
    counted, not loaded again.
    """
    file_report = ctx.file_report(relpath)
    pending: list[Pending[M]] = []
    seen = FileKeys(key if key and unique else None)
    for line, row in ctx.rows(relpath, columns, file_report):
        row_key = row.get(key, "") if key else ""
        if key and row_key in present:
            file_report.duplicates += 1
            continue
        try:
            check_readable(row)
            if seen.is_repeat(row):
                file_report.duplicates += 1
                continue
            instance = build(row)
            validate_fields(instance)
        except RowError as error:
            ctx.reject(file_report, line, row, error)
            continue
        seen.add(line, row)
        pending.append(Pending(line, row, instance))
    return file_report, pending


class FileKeys:
    """The keys accepted so far in a file: a row repeated identically is a duplicate
    (skipped, like a row already in the store); another row under the same key breaks
    the key and is quarantined. The first one wins."""

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.first: dict[str, tuple[int, dict[str, str]]] = {}

    def is_repeat(self, row: dict[str, str]) -> bool:
        if self.key is None or row[self.key] not in self.first:
            return False
        line, first = self.first[row[self.key]]
        if first == row:
            return True
        raise RowError(
            self.key,
            f"duplicate key {row[self.key]!r} with different values "
            f"(first at line {line})",
        )

    def add(self, line: int, row: dict[str, str]) -> None:
        if self.key is not None:
            self.first[row[self.key]] = (line, row)


def insert_parsed(
    ctx: LoadContext, file_report: FileReport, model: type[M], pending: list[Pending[M]]
) -> list[Pending[M]]:
    """Insert parsed rows; rows the database refuses are rejected with its reason."""

    def reject(line: int, row: dict[str, str], field: str, reason: str) -> None:
        ctx.reject(file_report, line, row, RowError(field, reason))

    inserted = insert_pending(model, pending, reject)
    file_report.loaded += len(inserted)
    return inserted
