"""The CDR part of an import: files to the Parquet store, broken rows to quarantine.

CDRs never enter the operational database; their rows are validated and stored by
``telcrm_pipeline.cdr_store`` (DuckDB, no Python per row). What comes back here is the
accounting of each file and its (usually few) quarantined rows, which join the other
silos' quarantine so that staff see and fix them in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from telcrm.imports.choices import QuarantineState
from telcrm.imports.models import ImportFile, ImportRun, QuarantinedRow
from telcrm.loading.kinds import CDR_KIND
from telcrm.loading.reading import SiloFileError
from telcrm.loading.report import FileReport
from telcrm_pipeline.cdr_store import (
    CdrFileError,
    CdrFileReport,
    check_cdr_headers,
    ingest_cdr_files,
    open_store,
)
from telcrm_pipeline.silo_contract import CDR_COLUMNS


@dataclass
class CdrImport:
    files: list[FileReport] = field(default_factory=list)
    summary: str = ""


def store_dir() -> Path:
    return Path(settings.TELCRM_STORE_DIR)


def cdr_headers_check(paths: Sequence[Path], *, encoding: str | None) -> None:
    """Refuse, before anything is written, a file that is not a CDR file."""
    try:
        check_cdr_headers(paths, encoding=cdr_encoding(encoding))
    except CdrFileError as error:
        raise SiloFileError(str(error)) from error


def cdr_files_import(
    run: ImportRun, paths: Sequence[Path], *, encoding: str | None
) -> CdrImport:
    result = CdrImport()
    if not paths:
        return result
    try:
        reports = ingest_cdr_files(
            list(paths), store_dir(), encoding=cdr_encoding(encoding)
        )
    except CdrFileError as error:
        raise SiloFileError(str(error)) from error
    for report in reports:
        sha = report.sha256
        ImportFile.objects.create(
            run=run,
            path=str(report.path),
            kind=CDR_KIND,
            sha256=sha,
            size_bytes=Path(report.path).stat().st_size,
            encoding=cdr_encoding(encoding),
            read=report.read,
            loaded=report.loaded,
            quarantined=report.quarantined,
            duplicates=report.duplicates,
        )
        if report.quarantined:
            cdr_quarantine_copy(run, report, sha)
        result.files.append(
            FileReport(
                path=str(report.path),
                kind=CDR_KIND,
                read=report.read,
                loaded=report.loaded,
                quarantined=report.quarantined,
                duplicates=report.duplicates,
            )
        )
    loaded = sum(item.loaded for item in result.files)
    result.summary = f"{loaded:,} CDRs stored in {store_dir()}"
    return result


def cdr_encoding(encoding: str | None) -> str:
    """CDR files are ASCII in practice; a declared encoding still applies."""
    return encoding or "utf-8"


def cdr_quarantine_copy(run: ImportRun, report: CdrFileReport, sha: str) -> None:
    """Copy the store's quarantine of one file into the quarantine staff work on."""
    with open_store(store_dir()) as con:
        rows = con.execute(
            "SELECT line, field, reason, raw_line FROM cdr_quarantine "
            "WHERE file = ? ORDER BY line",
            [str(report.path)],
        ).fetchall()
    QuarantinedRow.objects.bulk_create(
        [
            QuarantinedRow(
                run=run,
                kind=CDR_KIND,
                path=str(report.path),
                file_sha256=sha,
                line=line,
                field=field_name,
                reason=reason,
                row=cdr_row(raw_line or ""),
                state=QuarantineState.OPEN,
            )
            for line, field_name, reason, raw_line in rows
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def cdr_row(raw_line: str) -> dict[str, str]:
    """A CDR line as column -> value; a line with the wrong field count stays whole."""
    values = raw_line.split(",")
    if len(values) == len(CDR_COLUMNS):
        return dict(zip(CDR_COLUMNS, values, strict=True))
    return {"(line)": raw_line}
