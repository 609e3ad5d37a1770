"""billing/accounts.csv -> billing accounts, linked to the customer they serve."""

from __future__ import annotations

from telcrm.accounts.choices import CreditClass, PayMethod
from telcrm.accounts.models import BillingAccount
from telcrm.customers.choices import SourceSystem
from telcrm.customers.models import CustomerSourceKey
from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import RowError, date_value, one_of, optional, required
from telcrm.loading.silos.customers import customer_keys, normalised_phone
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "billing/accounts.csv"
COLUMNS = SILO_COLUMNS[FILE]


def account_numbers() -> dict[str, int]:
    return dict(BillingAccount.objects.values_list("account_number", "id"))


def load_billing_accounts(ctx: LoadContext) -> None:
    customers = customer_keys()

    def build(row: dict[str, str]) -> BillingAccount:
        cust_ref = optional(row, "cust_ref")
        if cust_ref and cust_ref not in customers:
            raise RowError("cust_ref", f"unknown customer {cust_ref!r}")
        phone = optional(row, "phone")
        return BillingAccount(
            account_number=required(row, "acct_no"),
            customer_id=customers.get(cust_ref),
            holder_name=required(row, "holder_name"),
            holder_id_number=optional(row, "holder_id_no").upper(),
            bill_street=optional(row, "bill_address"),
            bill_province=optional(row, "province"),
            bill_city=optional(row, "city"),
            bill_district=optional(row, "district"),
            contact_phone=normalised_phone(phone, "phone") if phone else "",
            pay_method=one_of(row, "pay_method", PayMethod.values),
            credit_class=one_of(row, "credit_class", CreditClass.values),
            opened_date=date_value(row, "opened_date"),
        )

    inserted = load_rows(
        ctx, FILE, COLUMNS, key="acct_no", present=set(account_numbers()),
        build=build, model=BillingAccount,
    )  # fmt: skip
    # The billing system's id is kept as a source key of the customer it belongs to.
    CustomerSourceKey.objects.bulk_create(
        [
            CustomerSourceKey(
                customer_id=item.instance.customer_id,
                system=SourceSystem.BILLING,
                source_id=item.row["acct_no"],
            )
            for item in inserted
            if item.instance.customer_id
        ]
    )
