"""billing/bills.csv, bill_items.csv and payments.csv."""

from __future__ import annotations

from telcrm.billing.choices import ChargeType, PaymentMethod
from telcrm.billing.models import Bill, BillItem, Payment
from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import (
    RowError,
    date_value,
    local_datetime,
    money,
    month_value,
    one_of,
    optional,
    required,
)
from telcrm.loading.silos.accounts import account_numbers
from telcrm.loading.silos.subscriptions import reference, subscription_ids_by_number
from telcrm_pipeline.silo_contract import SILO_COLUMNS

BILLS = "billing/bills.csv"
BILL_COLUMNS = SILO_COLUMNS[BILLS]
ITEMS = "billing/bill_items.csv"
ITEM_COLUMNS = SILO_COLUMNS[ITEMS]
PAYMENTS = "billing/payments.csv"
PAYMENT_COLUMNS = SILO_COLUMNS[PAYMENTS]


def bill_numbers() -> dict[str, int]:
    return dict(Bill.objects.values_list("bill_number", "id"))


def load_bills(ctx: LoadContext) -> None:
    accounts = account_numbers()

    def build(row: dict[str, str]) -> Bill:
        return Bill(
            bill_number=required(row, "bill_no"),
            billing_account_id=reference(row, "acct_no", accounts, "billing account"),
            period=month_value(row, "period"),
            issue_date=date_value(row, "issue_date"),
            due_date=date_value(row, "due_date"),
            amount=money(row, "amount"),
        )

    load_rows(
        ctx, BILLS, BILL_COLUMNS, key="bill_no", present=set(bill_numbers()),
        build=build, model=Bill,
    )  # fmt: skip


def load_bill_items(ctx: LoadContext) -> None:
    """Items of the bills that have none yet; the others' are already present.

    Bill items have no key of their own: the bill decides, so a re-run adds nothing.
    """
    bills = bill_numbers()
    itemised = set(
        Bill.objects.filter(items__isnull=False).values_list("bill_number", flat=True)
    )
    lines = subscription_ids_by_number()

    def build(row: dict[str, str]) -> BillItem:
        service_no = optional(row, "service_no")
        if service_no and service_no not in lines:
            raise RowError("service_no", f"unknown line {service_no!r}")
        return BillItem(
            bill_id=reference(row, "bill_no", bills, "bill"),
            subscription_id=lines.get(service_no),
            charge_type=one_of(row, "charge_type", ChargeType.values),
            amount=money(row, "amount"),
        )

    load_rows(
        ctx, ITEMS, ITEM_COLUMNS, key="bill_no", unique=False,
        present=set() if ctx.resubmission else itemised, build=build,
        model=BillItem,
    )  # fmt: skip


def load_payments(ctx: LoadContext) -> None:
    accounts, bills = account_numbers(), bill_numbers()
    present = set(Payment.objects.values_list("payment_number", flat=True))

    def build(row: dict[str, str]) -> Payment:
        bill_no = optional(row, "bill_no")
        return Payment(
            payment_number=required(row, "payment_no"),
            billing_account_id=reference(row, "acct_no", accounts, "billing account"),
            bill_id=reference(row, "bill_no", bills, "bill") if bill_no else None,
            paid_at=local_datetime(row, "paid_at", ctx.zone),
            amount=money(row, "amount"),
            method=one_of(row, "method", PaymentMethod.values),
        )

    load_rows(
        ctx, PAYMENTS, PAYMENT_COLUMNS, key="payment_no", present=present,
        build=build, model=Payment,
    )  # fmt: skip
