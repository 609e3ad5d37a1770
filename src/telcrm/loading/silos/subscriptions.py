"""crm/subscriptions.csv -> the lines (product instances) of each customer."""

from __future__ import annotations

from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import (
    RowError,
    date_value,
    one_of,
    optional,
    optional_date,
    required,
)
from telcrm.loading.silos.accounts import account_numbers
from telcrm.loading.silos.catalog import offering_codes
from telcrm.loading.silos.customers import customer_keys

FILE = "crm/subscriptions.csv"
COLUMNS = (
    "subs_id", "cust_no", "acct_no", "service_no", "offer_code", "start_date",
    "contract_end", "status", "end_date", "port_out_operator",
)  # fmt: skip


def reference(row: dict[str, str], field: str, ids: dict[str, int], what: str) -> int:
    value = required(row, field)
    if value not in ids:
        raise RowError(field, f"unknown {what} {value!r}")
    return ids[value]


def load_subscriptions(ctx: LoadContext) -> None:
    customers, accounts, offers = customer_keys(), account_numbers(), offering_codes()
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

    load_rows(
        ctx, FILE, COLUMNS, key="subs_id", present=present, build=build,
        model=Subscription,
    )  # fmt: skip


def subscription_ids_by_number() -> dict[str, int]:
    """Service number -> subscription id; the newest line wins when numbers recur."""
    rows = Subscription.objects.order_by("start_date", "id")
    return dict(rows.values_list("service_number", "id"))
