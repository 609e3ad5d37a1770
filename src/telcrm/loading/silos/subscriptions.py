"""crm/subscriptions.csv -> the lines (product instances) of each customer."""

from __future__ import annotations

from telcrm.catalog.choices import OfferingKind
from telcrm.catalog.models import ProductOffering
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.loading.context import LoadContext, insert_parsed, parse_rows
from telcrm.loading.inserting import Pending
from telcrm.loading.parsing import (
    RowError,
    date_value,
    one_of,
    optional,
    optional_date,
    required,
)
from telcrm.loading.report import FileReport
from telcrm.loading.silos.accounts import account_numbers
from telcrm.loading.silos.catalog import offering_codes
from telcrm.loading.silos.customers import customer_keys
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "crm/subscriptions.csv"
COLUMNS = SILO_COLUMNS[FILE]


def reference(row: dict[str, str], field: str, ids: dict[str, int], what: str) -> int:
    value = required(row, field)
    if value not in ids:
        raise RowError(field, f"unknown {what} {value!r}")
    return ids[value]


def load_subscriptions(ctx: LoadContext) -> None:
    """Access lines first, then the add-ons that sit on them."""
    customers, accounts, offers = customer_keys(), account_numbers(), offering_codes()
    addon_offers = set(
        ProductOffering.objects.filter(kind=OfferingKind.ADDON).values_list(
            "id", flat=True
        )
    )
    present = set(Subscription.objects.values_list("subscription_id", flat=True))

    def build(row: dict[str, str]) -> Subscription:
        return Subscription(
            subscription_id=required(row, "subs_id"),
            customer_id=reference(row, "cust_no", customers, "customer"),
            billing_account_id=reference(row, "acct_no", accounts, "billing account"),
            service_number=required(row, "service_no"),
            offering_id=reference(row, "offer_code", offers, "offer"),
            start_date=date_value(row, "start_date"),
            contract_end=optional_date(row, "contract_end"),
            status=one_of(row, "status", SubscriptionStatus.values),
            end_date=optional_date(row, "end_date"),
            port_out_operator=optional(row, "port_out_operator"),
        )

    report, pending = parse_rows(
        ctx, FILE, COLUMNS, key="subs_id", present=present, build=build
    )
    addons = [item for item in pending if item.instance.offering_id in addon_offers]
    lines = [item for item in pending if item.instance.offering_id not in addon_offers]
    insert_parsed(ctx, report, Subscription, lines)
    insert_parsed(ctx, report, Subscription, attach_addons(ctx, report, addons))


def attach_addons(
    ctx: LoadContext, report: FileReport, addons: list[Pending[Subscription]]
) -> list[Pending[Subscription]]:
    """Point each add-on at the customer's access line with the same number."""
    access_lines = {
        (customer, number): line_id
        for line_id, customer, number in Subscription.objects.filter(
            parent__isnull=True
        )
        .order_by("start_date", "id")
        .values_list("id", "customer_id", "service_number")
    }
    attached = []
    for item in addons:
        line = item.instance
        parent = access_lines.get((line.customer_id, line.service_number))
        if parent is None:
            reason = f"add-on on {line.service_number!r}, a line the customer lacks"
            ctx.reject(report, item.line, item.row, RowError("service_no", reason))
            continue
        line.parent_id = parent
        attached.append(item)
    return attached


def subscription_ids_by_number() -> dict[str, int]:
    """Service number -> access line id; the newest line wins when numbers recur."""
    rows = Subscription.objects.filter(parent__isnull=True).order_by("start_date", "id")
    return dict(rows.values_list("service_number", "id"))
