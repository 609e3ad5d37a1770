"""Importing silo and CDR files with a ledger, a quarantine and crash safety.

One run at a time per home (a file lock that dies with its process). A run is first
written to the ledger as *running*; when a later run finds a run still marked running,
that process died (kill -9, power cut): it is marked *interrupted* and the new run,
given the same files, completes the work, because each part is idempotent:

- the silo files load in one database transaction (with their quarantine and counts),
  so a killed run left nothing of them, and rows already present count as duplicates;
- each CDR file is published to the Parquet store all at once (see docs/cdr-store.md)
  and its rows already in the store count as duplicates;
- usage summaries are recomputed wherever they are older than the CDRs they summarise.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from telcrm.core.setup import database_ready
from telcrm.imports.cdr import (
    CdrImport,
    cdr_files_import,
    cdr_headers_check,
    store_dir,
)
from telcrm.imports.choices import RunState
from telcrm.imports.models import ImportFile, ImportRun, QuarantinedRow
from telcrm.lib.login import login_name
from telcrm.loading.context import KIND_OF, Progress
from telcrm.loading.kinds import CDR_KIND, discover, silos_root
from telcrm.loading.reading import SiloFileError, manifest_encoding
from telcrm.loading.report import FileReport, Rejection
from telcrm.loading.service import silo_files, silo_files_load
from telcrm.usage.services import UsageRefresh, usage_refresh
from telcrm.users.models import User


class ImportBusy(RuntimeError):
    """Another import holds this home's lock."""


@dataclass
class ImportResult:
    """A finished run: its ledger entry and the accounting of every file."""

    run: ImportRun
    files: list[FileReport] = field(default_factory=list)
    usage: UsageRefresh | None = None

    @property
    def quarantined(self) -> int:
        return sum(item.quarantined for item in self.files)

    def as_json(self) -> dict[str, object]:
        return {
            "run": self.run.pk,
            "state": self.run.state,
            "files": [item.as_json() for item in self.files],
        }


def import_directory(
    root: Path,
    *,
    encoding: str | None = None,
    operator: str | None = None,
    user: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import every file ``telcrm generate`` writes (or the same shapes) under root."""
    pairs = discover(root)
    if not pairs:
        raise SiloFileError(f"{root}: no silo or CDR files found")
    declared = encoding or manifest_encoding(silos_root(root))
    return import_files(
        pairs,
        encoding=declared,
        source=str(root),
        operator=operator,
        user=user,
        progress=progress,
    )


def import_files(
    pairs: Sequence[tuple[str, Path]],
    *,
    encoding: str | None = None,
    source: str | None = None,
    operator: str | None = None,
    user: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import (kind, file) pairs; refuse them all, writing nothing, if one is not
    the kind it claims to be."""
    silo = silo_files(pairs, encoding=encoding)
    cdr_paths = [path for kind, path in pairs if kind == CDR_KIND]
    cdr_headers_check(cdr_paths, encoding=encoding)
    if not database_ready():
        raise SiloFileError("the database is not set up: run `telcrm setup` first")
    with import_lock():
        runs_interrupted_mark()
        run = ImportRun.objects.create(
            operator=operator or (user.get_username() if user else login_name()),
            user=user,
            source=source or " ".join(str(path) for _, path in pairs),
        )
        ledger = {
            str(item.path): ImportFile.objects.create(
                run=run,
                path=str(item.path),
                kind=KIND_OF[item.relpath],
                sha256=file_sha256(item.path),
                size_bytes=item.path.stat().st_size,
                encoding=item.encoding,
            )
            for item in silo
        }
        result = ImportResult(run)
        try:
            with transaction.atomic():
                report = silo_files_load(silo, progress=progress)
                quarantine_store(run, report.rejections, ledger)
                ledger_counts_store(ledger, report.files)
            result.files += report.files
            cdr = cdr_files_import(run, cdr_paths, encoding=encoding)
            result.files += cdr.files
            result.usage = usage_refresh(store_dir())
        except BaseException as error:
            ImportRun.objects.filter(pk=run.pk).update(
                state=RunState.FAILED, finished_at=timezone.now(), message=str(error)
            )
            raise
        run_finish(run, cdr, result.usage)
    return result


def run_finish(run: ImportRun, cdr: CdrImport, usage: UsageRefresh | None) -> None:
    run.state = RunState.COMPLETED
    run.finished_at = timezone.now()
    notes = [cdr.summary] if cdr.summary else []
    if usage and usage.months_loaded:
        notes.append(
            f"usage of {', '.join(usage.months_loaded)} reloaded "
            f"({usage.rows:,} line-months; {usage.unknown_numbers:,} numbers of "
            "other networks left out)"
        )
    run.message = "; ".join(notes)
    run.save(update_fields=["state", "finished_at", "message"])


def quarantine_store(
    run: ImportRun, rejections: Sequence[Rejection], ledger: dict[str, ImportFile]
) -> None:
    """Keep each rejected row once per file version (a re-run does not repeat it)."""
    QuarantinedRow.objects.bulk_create(
        [
            QuarantinedRow(
                run=run,
                kind=item.kind,
                path=item.file,
                file_sha256=ledger[item.file].sha256 if item.file in ledger else "",
                line=item.line,
                field=item.field,
                reason=item.reason,
                row=item.row,
            )
            for item in rejections
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def ledger_counts_store(
    ledger: dict[str, ImportFile], reports: Sequence[FileReport]
) -> None:
    for report in reports:
        entry = ledger[report.path]
        entry.read, entry.loaded = report.read, report.loaded
        entry.quarantined, entry.duplicates = report.quarantined, report.duplicates
        entry.save(update_fields=["read", "loaded", "quarantined", "duplicates"])


def runs_interrupted_mark() -> int:
    """Runs still marked running while we hold the lock died mid-way."""
    return ImportRun.objects.filter(state=RunState.RUNNING).update(
        state=RunState.INTERRUPTED,
        finished_at=timezone.now(),
        message="The process stopped before the end; a later run completed it.",
    )


@contextmanager
def import_lock() -> Iterator[None]:
    """One import at a time per home; the lock dies with its process (kill -9)."""
    path = Path(settings.TELCRM_HOME) / "import.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ImportBusy(
                f"another import is running in {settings.TELCRM_HOME}"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
