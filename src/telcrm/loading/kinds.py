"""The kinds of file an import understands, in the order they load.

A kind is a contract file of ``docs/silos.md`` (``customers`` is ``crm/customers.csv``);
``cdr`` is the switches' daily CDR files (``cdr/YYYY-MM/cdr_YYYYMMDD.csv``), which go to
the analytic store, never to the operational database.
"""

from __future__ import annotations

from pathlib import Path

from telcrm_pipeline.silo_contract import CDR_COLUMNS, SILO_COLUMNS

# Dependency order: a row may only refer to what an earlier kind loaded.
SILO_KINDS: dict[str, str] = {
    "staff": "crm/staff.csv",
    "offers": "crm/offers.csv",
    "customers": "crm/customers.csv",
    "contacts": "crm/contacts.csv",
    "groups": "crm/groups.csv",
    "billing_accounts": "billing/accounts.csv",
    "subscriptions": "crm/subscriptions.csv",
    "bills": "billing/bills.csv",
    "bill_items": "billing/bill_items.csv",
    "payments": "billing/payments.csv",
    "broadband_customers": "broadband/customers.csv",
    "complaints": "complaints/tickets.csv",
    "consents": "crm/consents.csv",
    "do_not_call": "crm/do_not_call.csv",
}
CDR_KIND = "cdr"
CDR_GLOB = "cdr/*/*.csv"
KINDS: tuple[str, ...] = (*SILO_KINDS, CDR_KIND)


def kind_columns(kind: str) -> tuple[str, ...]:
    return CDR_COLUMNS if kind == CDR_KIND else SILO_COLUMNS[SILO_KINDS[kind]]


def discover(root: Path) -> list[tuple[str, Path]]:
    """The (kind, file) pairs found in a silos/ directory, in load order.

    ``root`` may also be the folder ``telcrm generate`` wrote (holding ``silos/``).
    """
    root = silos_root(root)
    found = [
        (kind, root / relpath)
        for kind, relpath in SILO_KINDS.items()
        if (root / relpath).is_file()
    ]
    found += [(CDR_KIND, path) for path in sorted(root.glob(CDR_GLOB))]
    return found


def silos_root(root: Path) -> Path:
    """The directory holding the contract files (and ``manifest.json``)."""
    if not (root / "manifest.json").exists() and (root / "silos").is_dir():
        return root / "silos"
    return root
