"""The operational store as the pipeline's operator tables (``telcrm_pipeline``'s
``OPERATOR_SCHEMAS``).

``customer`` is the customer number after identity linkage: merged duplicates are
left out and everything they held was moved to the customer they were merged into.
Times are converted to the operator's local wall-clock time (``TIME_ZONE``), the time
the CDRs and the silos record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from django.conf import settings
from django.db.models import QuerySet

from telcrm.accounts.models import BillingAccount
from telcrm.billing.models import Bill, BillItem, Payment
from telcrm.customers.choices import InteractionKind
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.models import Subscription
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm_pipeline.operator_data import OperatorData

CHUNK = 20_000
TICKET_KINDS = (
    InteractionKind.COMPLAINT,
    InteractionKind.SERVICE_REQUEST,
    InteractionKind.INQUIRY,
)


def operator_data_from_database() -> OperatorData:
    """Every table of the contract, read in chunks from the database."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return OperatorData.from_arrow(
        {
            "customers": customers_table(),
            "lines": lines_table(),
            "accounts": accounts_table(),
            "bills": bills_table(),
            "bill_items": bill_items_table(),
            "payments": payments_table(zone),
            "tickets": tickets_table(zone),
        }
    )


def columns_of(
    queryset: QuerySet[Any], fields: Sequence[str], names: Sequence[str]
) -> pa.Table:
    """The queryset's ``fields`` as an Arrow table with columns ``names``."""
    rows = list(queryset.values_list(*fields).iterator(chunk_size=CHUNK))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    return pa.table(
        {
            name: pa.array(plain(values))
            for name, values in zip(names, columns, strict=True)
        }
    )


def plain(values: Iterable[Any]) -> list[Any]:
    """Decimals as floats (the pipeline computes in float64)."""
    return [float(v) if isinstance(v, Decimal) else v for v in values]


def local(values: Iterable[dt.datetime | None], zone: ZoneInfo) -> pa.Array:
    return pa.array(
        [v.astimezone(zone).replace(tzinfo=None) if v else None for v in values],
        pa.timestamp("us"),
    )


def customers_table() -> pa.Table:
    live = Customer.objects.filter(merged_into__isnull=True)
    table = columns_of(
        live,
        ["customer_number", "party__kind", "customer_since", "acquisition_channel",
         "status", "status_date", "party_id"],
        ["customer", "customer_type", "customer_since", "channel", "status",
         "status_date", "party_id"],
    )  # fmt: skip
    regions = primary_regions()
    parties = table.column("party_id").to_pylist()
    return (
        table.drop(["party_id"])
        .append_column(
            "province", pa.array([regions.get(p, (None, None))[0] for p in parties])
        )
        .append_column(
            "city", pa.array([regions.get(p, (None, None))[1] for p in parties])
        )
    )


def primary_regions() -> dict[int, tuple[str, str]]:
    """Each party's region from its primary postal address."""
    addresses = ContactMedium.objects.filter(kind=ContactKind.ADDRESS, is_primary=True)
    return {
        party: (province, city)
        for party, province, city in addresses.values_list(
            "party_id", "province", "city"
        ).iterator(chunk_size=CHUNK)
    }


def lines_table() -> pa.Table:
    return columns_of(
        Subscription.objects.all(),
        ["service_number", "customer__customer_number",
         "billing_account__account_number", "offering__code",
         "offering__line_of_business", "offering__kind", "offering__monthly_fee",
         "offering__contract_months", "start_date", "contract_end", "status",
         "end_date"],
        ["service_no", "customer", "account", "offer_code", "line_of_business",
         "offer_kind", "monthly_fee", "contract_months", "start_date", "contract_end",
         "status", "end_date"],
    )  # fmt: skip


def accounts_table() -> pa.Table:
    return columns_of(
        BillingAccount.objects.filter(customer__isnull=False),
        ["account_number", "customer__customer_number", "pay_method", "credit_class",
         "opened_date"],
        ["account", "customer", "pay_method", "credit_class", "opened_date"],
    )  # fmt: skip


def bills_table() -> pa.Table:
    return columns_of(
        Bill.objects.filter(billing_account__customer__isnull=False),
        ["bill_number", "billing_account__account_number",
         "billing_account__customer__customer_number", "period", "issue_date",
         "due_date", "amount"],
        ["bill_no", "account", "customer", "period", "issue_date", "due_date",
         "amount"],
    )  # fmt: skip


def bill_items_table() -> pa.Table:
    return columns_of(
        BillItem.objects.filter(bill__billing_account__customer__isnull=False),
        ["bill__bill_number", "bill__billing_account__customer__customer_number",
         "bill__period", "subscription__service_number", "charge_type", "amount"],
        ["bill_no", "customer", "period", "service_no", "charge_type", "amount"],
    )  # fmt: skip


def payments_table(zone: ZoneInfo) -> pa.Table:
    table = columns_of(
        Payment.objects.filter(billing_account__customer__isnull=False),
        ["payment_number", "billing_account__account_number",
         "billing_account__customer__customer_number", "bill__bill_number",
         "amount", "method", "paid_at"],
        ["payment_no", "account", "customer", "bill_no", "amount", "method",
         "paid_at_aware"],
    )  # fmt: skip
    paid = local(table.column("paid_at_aware").to_pylist(), zone)
    return table.drop(["paid_at_aware"]).append_column("paid_at", paid)


def tickets_table(zone: ZoneInfo) -> pa.Table:
    table = columns_of(
        Interaction.objects.filter(
            kind__in=TICKET_KINDS, customer__isnull=False, reference__isnull=False
        ),
        ["reference", "customer__customer_number", "service_number", "kind",
         "reason", "satisfaction", "occurred_at", "ended_at"],
        ["ticket_no", "customer", "service_no", "kind", "category", "satisfaction",
         "opened", "closed"],
    )  # fmt: skip
    opened = local(table.column("opened").to_pylist(), zone)
    closed = local(table.column("closed").to_pylist(), zone)
    service = pa.array(
        [s or None for s in table.column("service_no").to_pylist()], pa.string()
    )
    table = table.drop(["opened", "closed", "service_no"])
    return (
        table.append_column("opened_at", opened)
        .append_column("closed_at", closed)
        .append_column("service_no", service)
    )


def crm_keys_table() -> pa.Table:
    """Which CRM customer numbers each customer now holds (``customer``,
    ``crm_customer``): after a merge, the survivor holds its duplicates' numbers too.
    The ground truth of a generated operator is keyed by CRM customer number."""
    from telcrm.customers.choices import SourceSystem
    from telcrm.customers.models import CustomerSourceKey

    keys = CustomerSourceKey.objects.filter(
        system=SourceSystem.CRM, customer__merged_into__isnull=True
    )
    return columns_of(
        keys,
        ["customer__customer_number", "source_id"],
        ["customer", "crm_customer"],
    ).cast(pa.schema([("customer", pa.string()), ("crm_customer", pa.string())]))
