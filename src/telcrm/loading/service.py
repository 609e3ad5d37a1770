"""Loading silo files into the operational store in dependency order, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from django.db import transaction

from telcrm.loading.context import LoadContext, Progress
from telcrm.loading.kinds import SILO_KINDS, discover, silos_root
from telcrm.loading.reading import FileSource, SiloFile, manifest_encoding
from telcrm.loading.report import LoadReport
from telcrm.loading.silos.accounts import load_billing_accounts
from telcrm.loading.silos.bills import load_bill_items, load_bills, load_payments
from telcrm.loading.silos.broadband import load_broadband
from telcrm.loading.silos.catalog import load_offers
from telcrm.loading.silos.complaints import load_tickets
from telcrm.loading.silos.consents import load_consents, load_do_not_call
from telcrm.loading.silos.customers import load_contacts, load_customers
from telcrm.loading.silos.groups import load_groups
from telcrm.loading.silos.staff import load_staff
from telcrm.loading.silos.subscriptions import load_subscriptions
from telcrm_pipeline.silo_contract import SILO_COLUMNS

Loader = Callable[[LoadContext], None]

# One loader per kind; SILO_KINDS gives the order.
SILO_LOADERS: dict[str, Loader] = {
    "staff": load_staff,
    "offers": load_offers,
    "customers": load_customers,
    "contacts": load_contacts,
    "groups": load_groups,
    "billing_accounts": load_billing_accounts,
    "subscriptions": load_subscriptions,
    "bills": load_bills,
    "bill_items": load_bill_items,
    "payments": load_payments,
    "broadband_customers": load_broadband,
    "complaints": load_tickets,
    "consents": load_consents,
    "do_not_call": load_do_not_call,
}
assert list(SILO_LOADERS) == list(SILO_KINDS), "a loader per kind, in load order"


def silo_files(
    pairs: Sequence[tuple[str, Path]], *, encoding: str | None = None
) -> list[SiloFile]:
    """Open (kind, path) pairs as contract files, checking every header first.

    Raises SiloFileError, before anything is written, for a file that is not the
    kind it claims to be or an encoding that does not exist.
    """
    files = [
        SiloFile.open(SILO_KINDS[kind], path, encoding)
        for kind, path in pairs
        if kind in SILO_KINDS
    ]
    for item in files:
        FileSource([item]).check_header(item.relpath, SILO_COLUMNS[item.relpath])
    return files


def silo_files_load(
    files: Sequence[SiloFile], *, progress: Progress | None = None
) -> LoadReport:
    """Load the files in dependency order (several files of one kind: in turn).

    All files load in one transaction: a run that fails or is killed leaves the store
    as it was. Rows already in the store count as duplicates, so a re-run loads
    nothing twice.
    """
    ctx = LoadContext(FileSource([]), progress=progress)
    with transaction.atomic():
        for kind, loader in SILO_LOADERS.items():
            for item in files:
                if item.relpath == SILO_KINDS[kind]:
                    ctx.source = FileSource([item])
                    loader(ctx)
    return ctx.report


def silos_load(
    root: Path, *, encoding: str | None = None, progress: Progress | None = None
) -> LoadReport:
    """Load every contract file of a silos/ directory (CDR files are not read here).

    The encoding is the one given, else the manifest's, else detected per file.
    """
    declared = encoding or manifest_encoding(silos_root(root))
    files = silo_files(discover(root), encoding=declared)
    return silo_files_load(files, progress=progress)
