"""`silos_load`: every silo file, in dependency order, in one transaction."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from telcrm.loading.context import LoadContext, Progress
from telcrm.loading.reading import SiloSource
from telcrm.loading.report import LoadReport
from telcrm.loading.silos.accounts import load_billing_accounts
from telcrm.loading.silos.bills import load_bill_items, load_bills, load_payments
from telcrm.loading.silos.broadband import load_broadband
from telcrm.loading.silos.catalog import load_offers
from telcrm.loading.silos.complaints import load_tickets
from telcrm.loading.silos.customers import load_contacts, load_customers
from telcrm.loading.silos.groups import load_groups
from telcrm.loading.silos.staff import load_staff
from telcrm.loading.silos.subscriptions import load_subscriptions


def silos_load(
    root: Path, *, encoding: str | None = None, progress: Progress | None = None
) -> LoadReport:
    """Load a silos/ directory; re-running it loads nothing twice.

    All files load in one transaction: a run that fails or is killed leaves the store
    as it was, and the next run starts again cleanly.
    """
    ctx = LoadContext(SiloSource(root, encoding=encoding), progress=progress)
    with transaction.atomic():
        load_staff(ctx)
        load_offers(ctx)
        load_contacts(ctx, load_customers(ctx))
        load_groups(ctx)
        load_billing_accounts(ctx)
        load_subscriptions(ctx)
        load_bill_items(ctx, load_bills(ctx))
        load_payments(ctx)
        load_broadband(ctx)
        load_tickets(ctx)
    return ctx.report
