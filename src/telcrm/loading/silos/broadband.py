"""broadband/customers.csv -> the broadband system's customers, linked where certain.

The broadband system has its own customer ids. This straightforward loader links a
record only where the link is certain: the line id is a line the CRM knows, or the
resident ID number and the name match exactly. Any other record becomes a customer of
its own, kept with its broadband id, for identity linkage to merge later.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from telcrm.accounts.choices import AccountStatus
from telcrm.accounts.models import ServiceAccount
from telcrm.catalog.choices import LineOfBusiness, OfferingKind
from telcrm.catalog.models import ProductOffering
from telcrm.customers.choices import CustomerStatus, SourceSystem
from telcrm.customers.models import Customer, CustomerSourceKey
from telcrm.customers.selectors import customer_find_by_id_number
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.lib.identifiers import InvalidIdentifier, resident_id_normalize
from telcrm.loading.context import LoadContext
from telcrm.loading.inserting import validate_fields
from telcrm.loading.parsing import (
    RowError,
    check_readable,
    date_value,
    one_of,
    optional,
    required,
)
from telcrm.loading.silos.customers import (
    CustomerRecord,
    customer_keys,
    normalised_phone,
    refused_by,
)
from telcrm.parties.choices import ContactKind, PartyKind
from telcrm.parties.models import ContactMedium, Individual, Party
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "broadband/customers.csv"
COLUMNS = SILO_COLUMNS[FILE]
STATUSES = {
    "active": (AccountStatus.ACTIVE, CustomerStatus.ACTIVE),
    "suspended": (AccountStatus.SUSPENDED, CustomerStatus.SUSPENDED),
    "terminated": (AccountStatus.CLOSED, CustomerStatus.CLOSED),
}


def load_broadband(ctx: LoadContext) -> None:
    report = ctx.file_report(FILE)
    present = customer_keys(SourceSystem.BROADBAND)
    for line, row in ctx.rows(FILE, COLUMNS, report):
        if row.get("bb_cust_id") in present:
            report.duplicates += 1
            continue
        try:
            check_readable(row)
            with transaction.atomic():
                load_broadband_row(row)
        except IntegrityError as error:
            ctx.reject(report, line, row, RowError("(constraint)", refused_by(error)))
        except RowError as error:
            ctx.reject(report, line, row, error)
        else:
            report.loaded += 1


def load_broadband_row(row: dict[str, str]) -> None:
    bb_id = required(row, "bb_cust_id")
    line_id = required(row, "line_id")
    account_status, customer_status = STATUSES[one_of(row, "status", STATUSES)]
    crm_line = Subscription.objects.filter(service_number=line_id).last()
    customer = crm_line.customer if crm_line else linked_by_id_number(row)
    if customer is None:
        customer = new_broadband_customer(row, customer_status)
    else:
        CustomerSourceKey.objects.create(
            customer=customer, system=SourceSystem.BROADBAND, source_id=bb_id
        )
    site = install_site(row, customer, account_status)
    if crm_line is not None:
        crm_line.service_account = site
        crm_line.save(update_fields=["service_account", "updated"])
    elif account_status != AccountStatus.CLOSED:
        broadband_line(row, customer, site, customer_status)


def linked_by_id_number(row: dict[str, str]) -> Customer | None:
    """An exact, valid resident ID number under the same name is a certain link.

    The same number under another name is not: two people can be registered under
    one number (a clerk's error), and a typo in the name is for identity linkage to
    weigh (telcrm linkage run), not for the loader to assume.
    """
    try:
        id_number = resident_id_normalize(optional(row, "id_no"))
    except InvalidIdentifier:
        return None
    same_number = customer_find_by_id_number(id_number)
    return same_number.filter(party__name=optional(row, "name")).first()


def new_broadband_customer(row: dict[str, str], status: str) -> Customer:
    id_number = optional(row, "id_no").upper()
    try:
        resident_id_normalize(id_number)
    except InvalidIdentifier:
        id_number = ""  # a mistyped ID number is not kept as if it were valid
    record = CustomerRecord(
        party=Party(kind=PartyKind.INDIVIDUAL, name=required(row, "name")),
        detail=Individual(id_number=id_number),
        customer=Customer(
            customer_number=required(row, "bb_cust_id"),
            status=status,
            customer_since=date_value(row, "start_date"),
        ),
        source_id=required(row, "bb_cust_id"),
    )
    record.validate()
    record.save(SourceSystem.BROADBAND)
    phone = optional(row, "phone")
    if phone:
        ContactMedium.objects.create(
            party=record.party,
            kind=ContactKind.PHONE,
            phone=normalised_phone(phone, "phone"),
            is_primary=True,
        )
    return record.customer


def install_site(
    row: dict[str, str], customer: Customer, status: str
) -> ServiceAccount:
    phone = optional(row, "phone")
    site = ServiceAccount(
        account_number=required(row, "bb_cust_id"),
        customer=customer,
        name=required(row, "name"),
        holder_id_number=optional(row, "id_no").upper(),
        contact_phone=normalised_phone(phone, "phone") if phone else "",
        province=optional(row, "province"),
        city=optional(row, "city"),
        district=optional(row, "district"),
        street=optional(row, "install_address"),
        status=status,
        opened_date=date_value(row, "start_date"),
    )
    validate_fields(site)
    site.save()
    return site


def broadband_line(
    row: dict[str, str], customer: Customer, site: ServiceAccount, status: str
) -> Subscription:
    """A line only the broadband system knows, on an offering for its bandwidth plan."""
    plan = required(row, "plan")
    offering, _ = ProductOffering.objects.get_or_create(
        code=f"BB-{plan}",
        defaults={
            "name": f"宽带 {plan}",
            "name_en": f"Broadband {plan}",
            "line_of_business": LineOfBusiness.BROADBAND,
            "kind": OfferingKind.PLAN,
        },
    )
    line = Subscription(
        subscription_id=f"BB-{required(row, 'line_id')}"[:20],
        customer=customer,
        service_account=site,
        service_number=required(row, "line_id"),
        offering=offering,
        start_date=date_value(row, "start_date"),
        status=SubscriptionStatus.ACTIVE
        if status == CustomerStatus.ACTIVE
        else SubscriptionStatus.SUSPENDED,
    )
    validate_fields(line)
    line.save()
    return line
