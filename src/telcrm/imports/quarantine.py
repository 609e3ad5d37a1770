"""Staff work on the quarantine: fix a row's values, discard it, or re-submit it.

A re-submitted row goes through the same loader and the same checks as a row read
from a file: it is loaded (or found already present) and leaves the quarantine, or it
stays with the new reason. Each re-submission is a run in the ledger.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from telcrm.imports.cdr import store_dir
from telcrm.imports.choices import QuarantineState, RunState
from telcrm.imports.models import ImportRun, QuarantinedRow
from telcrm.imports.services import import_lock
from telcrm.loading.context import LoadContext
from telcrm.loading.kinds import CDR_KIND, SILO_KINDS, kind_columns
from telcrm.loading.reading import MemorySource, Row
from telcrm.loading.service import SILO_LOADERS
from telcrm.users.models import User
from telcrm_pipeline.cdr_store import ingest_cdr_files, open_store
from telcrm_pipeline.silo_contract import CDR_COLUMNS


@dataclass(frozen=True)
class ResubmitOutcome:
    loaded: int
    still_quarantined: int


def quarantined_row_fix(*, row: QuarantinedRow, values: dict[str, str]) -> None:
    """Replace an open row's values with the corrected ones (columns of its kind)."""
    if row.state != QuarantineState.OPEN:
        raise ValueError(f"row #{row.pk} is {row.state}, not open")
    columns = kind_columns(row.kind)
    row.row = {column: values.get(column, "") for column in columns}
    row.save(update_fields=["row"])


def quarantined_rows_discard(*, rows: Sequence[QuarantinedRow], user: User) -> int:
    """Give up on rows (kept, marked discarded, with who and when)."""
    ids = [row.pk for row in rows if row.state == QuarantineState.OPEN]
    return QuarantinedRow.objects.filter(pk__in=ids).update(
        state=QuarantineState.DISCARDED, resolved_at=timezone.now(), resolved_by=user
    )


def quarantined_rows_resubmit(
    *, rows: Sequence[QuarantinedRow], user: User
) -> ResubmitOutcome:
    """Load open rows again, in the kinds' load order; one ledger run for all."""
    open_rows = [row for row in rows if row.state == QuarantineState.OPEN]
    with import_lock():
        run = ImportRun.objects.create(
            operator=user.get_username(),
            user=user,
            source="quarantine re-submission: rows "
            + ", ".join(f"#{row.pk}" for row in open_rows),
        )
        silo_rows = [row for row in open_rows if row.kind in SILO_KINDS]
        cdr_rows = [row for row in open_rows if row.kind == CDR_KIND]
        refused = silo_rows_resubmit(silo_rows) | cdr_rows_resubmit(cdr_rows)
        loaded = [row for row in open_rows if row.pk not in refused]
        QuarantinedRow.objects.filter(pk__in=[row.pk for row in loaded]).update(
            state=QuarantineState.LOADED, resolved_at=timezone.now(), resolved_by=user
        )
        run.state = RunState.COMPLETED
        run.finished_at = timezone.now()
        run.message = f"{len(loaded)} loaded, {len(refused)} still quarantined"
        run.save(update_fields=["state", "finished_at", "message"])
    return ResubmitOutcome(loaded=len(loaded), still_quarantined=len(refused))


def silo_rows_resubmit(rows: Sequence[QuarantinedRow]) -> set[int]:
    """Run the kinds' loaders on the rows; return the ids of rows refused again.

    The quarantine id stands in for the line number, so each refusal names its row.
    """
    if not rows:
        return set()
    by_relpath: dict[str, list[tuple[int, Row]]] = {}
    for row in rows:
        by_relpath.setdefault(SILO_KINDS[row.kind], []).append((row.pk, dict(row.row)))
    ctx = LoadContext(MemorySource(by_relpath, "quarantine"), resubmission=True)
    with transaction.atomic():
        for kind, loader in SILO_LOADERS.items():
            if SILO_KINDS[kind] in by_relpath:
                loader(ctx)
        for rejection in ctx.report.rejections:
            QuarantinedRow.objects.filter(pk=rejection.line).update(
                field=rejection.field, reason=rejection.reason
            )
    return {rejection.line for rejection in ctx.report.rejections}


def cdr_rows_resubmit(rows: Sequence[QuarantinedRow]) -> set[int]:
    """Ingest the fixed CDRs as one small file; return the ids refused again."""
    if not rows:
        return set()
    with tempfile.TemporaryDirectory(prefix="telcrm-resubmit-") as folder:
        path = Path(folder) / "resubmitted_cdr.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CDR_COLUMNS)
            for row in rows:
                writer.writerow([row.row.get(column, "") for column in CDR_COLUMNS])
        [report] = ingest_cdr_files([path], store_dir())
        if not report.quarantined:
            return set()
        failures = cdr_failures(path)
    refused: set[int] = set()
    # Data line n of the file (header = line 1) is rows[n - 2].
    for line, field_name, reason in failures:
        row = rows[line - 2]
        QuarantinedRow.objects.filter(pk=row.pk).update(field=field_name, reason=reason)
        refused.add(row.pk)
    return refused


def cdr_failures(path: Path) -> list[tuple[int, str, str]]:
    with open_store(store_dir()) as con:
        found = con.execute(
            "SELECT line, field, reason FROM cdr_quarantine WHERE file = ?",
            [str(path)],
        ).fetchall()
    return [(int(line), str(name), str(reason)) for line, name, reason in found]
