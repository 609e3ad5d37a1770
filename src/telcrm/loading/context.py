"""State shared by the loaders of one run: the source, the accounting, the zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from telcrm.loading.inserting import Pending, insert_pending, validate_fields
from telcrm.loading.parsing import RowError, check_field_count
from telcrm.loading.reading import SiloSource
from telcrm.loading.report import FileReport, LoadReport, Rejection

Progress = Callable[[str, int], None]


@dataclass
class LoadContext:
    """One load run: where rows come from, where their fate is counted, and the
    operator's time zone that silo times are read in."""

    source: SiloSource
    report: LoadReport = field(default_factory=LoadReport)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    progress: Progress | None = None

    def rows(
        self, relpath: str, columns: tuple[str, ...], file_report: FileReport
    ) -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in self.source.rows(relpath, columns=columns):
            file_report.read += 1
            # Report on the first row (a file appears at once), then every 2,000.
            if self.progress and (
                file_report.read == 1 or file_report.read % 2000 == 0
            ):
                self.progress(relpath, file_report.read)
            yield line, row

    def reject(
        self, file_report: FileReport, line: int, row: dict[str, str], error: RowError
    ) -> None:
        rejection = Rejection(file_report.path, line, error.field, error.reason, row)
        self.report.reject(file_report, rejection)


M = TypeVar("M", bound=models.Model)


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
    file_report = ctx.report.file(relpath)
    pending: list[Pending[M]] = []
    seen: set[str] = set()
    for line, row in ctx.rows(relpath, columns, file_report):
        row_key = row.get(key, "") if key else ""
        if key and row_key in present:
            file_report.already_present += 1
            continue
        try:
            check_field_count(row)
            if key and unique and row_key in seen:
                raise RowError(key, f"duplicate key {row_key!r} in the file")
            instance = build(row)
            validate_fields(instance)
        except RowError as error:
            ctx.reject(file_report, line, row, error)
            continue
        seen.add(row_key)
        pending.append(Pending(line, row, instance))
    return file_report, pending


def insert_parsed(
    ctx: LoadContext, file_report: FileReport, model: type[M], pending: list[Pending[M]]
) -> list[Pending[M]]:
    """Insert parsed rows; rows the database refuses are rejected with its reason."""

    def reject(line: int, row: dict[str, str], field: str, reason: str) -> None:
        ctx.reject(file_report, line, row, RowError(field, reason))

    inserted = insert_pending(model, pending, reject)
    file_report.loaded += len(inserted)
    return inserted
