"""crm/customers.csv and crm/contacts.csv -> parties, customers and contact points."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from simple_history.utils import bulk_create_with_history

from telcrm.customers.choices import AcquisitionChannel, CustomerStatus, SourceSystem
from telcrm.customers.models import Customer, CustomerSourceKey
from telcrm.lib.phones import InvalidPhoneNumber, phone_normalize
from telcrm.loading.context import FileKeys, LoadContext, load_rows
from telcrm.loading.inserting import BATCH_SIZE, constraint_message, validate_fields
from telcrm.loading.parsing import (
    RowError,
    check_readable,
    date_value,
    flag,
    one_of,
    optional,
    optional_date,
    required,
)
from telcrm.loading.report import FileReport
from telcrm.loading.silos.staff import staff_numbers
from telcrm.parties.choices import ContactKind, Gender, PartyKind
from telcrm.parties.models import ContactMedium, Individual, Organization, Party
from telcrm.users.choices import Role
from telcrm_pipeline.silo_contract import SILO_COLUMNS

CUSTOMERS = "crm/customers.csv"
CUSTOMER_COLUMNS = SILO_COLUMNS[CUSTOMERS]
CONTACTS = "crm/contacts.csv"
CONTACT_COLUMNS = SILO_COLUMNS[CONTACTS]


def customer_keys(system: str = SourceSystem.CRM) -> dict[str, int]:
    """Source id -> customer id for one source system."""
    keys = CustomerSourceKey.objects.filter(system=system)
    return dict(keys.values_list("source_id", "customer_id"))


@dataclass
class CustomerRecord:
    """The rows one customer line becomes, saved together or not at all."""

    party: Party
    detail: Individual | Organization
    customer: Customer
    source_id: str

    def validate(self) -> None:
        """Field validators of all three rows (the party link is set when saving)."""
        for instance in (self.party, self.detail, self.customer):
            validate_fields(instance, exclude=("party",))

    def forget_ids(self) -> None:
        """Make the rows new again after a rolled-back bulk insert gave them ids."""
        for instance in (self.party, self.detail, self.customer):
            instance.pk = None
            instance._state.adding = True

    def save(self, system: str) -> None:
        self.party.save()
        self.detail.party = self.party
        self.detail.save()
        self.customer.party = self.party
        self.customer.save()
        CustomerSourceKey.objects.create(
            customer=self.customer, system=system, source_id=self.source_id
        )


def party_detail(row: dict[str, str], kind: str) -> Individual | Organization:
    if kind == PartyKind.INDIVIDUAL:
        if optional(row, "id_type") not in ("", "resident_id"):
            raise RowError("id_type", "an individual's ID type is resident_id")
        gender = optional(row, "gender")
        if gender not in ("", *Gender.values):
            raise RowError("gender", f"{gender!r} is not M or F")
        return Individual(
            gender=gender,
            birth_date=optional_date(row, "birth_date"),
            id_number=optional(row, "id_no").upper(),
        )
    if optional(row, "id_type") not in ("", "uscc"):
        raise RowError("id_type", "an organisation's ID type is uscc")
    return Organization(
        uscc=optional(row, "id_no").upper() or None, industry=optional(row, "industry")
    )


def build_customer(row: dict[str, str], managers: dict[str, int]) -> CustomerRecord:
    kind = one_of(row, "cust_type", PartyKind.values)
    manager = optional(row, "account_manager_no")
    if manager and manager not in managers:
        raise RowError("account_manager_no", f"unknown account manager {manager!r}")
    record = CustomerRecord(
        party=Party(kind=kind, name=required(row, "name")),
        detail=party_detail(row, kind),
        customer=Customer(
            customer_number=required(row, "cust_no"),
            status=one_of(row, "status", CustomerStatus.values),
            status_date=optional_date(row, "status_date"),
            customer_since=date_value(row, "customer_since"),
            acquisition_channel=one_of(row, "channel", AcquisitionChannel.values),
            account_manager_id=managers.get(manager),
        ),
        source_id=required(row, "cust_no"),
    )
    record.validate()
    return record


def load_customers(ctx: LoadContext) -> None:
    report = ctx.file_report(CUSTOMERS)
    present = customer_keys()
    managers = staff_numbers({"role": Role.ACCOUNT_MANAGER})
    parsed: list[tuple[int, dict[str, str], CustomerRecord]] = []
    seen = FileKeys("cust_no")
    for line, row in ctx.rows(CUSTOMERS, CUSTOMER_COLUMNS, report):
        if row.get("cust_no") in present:
            report.duplicates += 1
            continue
        try:
            check_readable(row)
            if seen.is_repeat(row):
                report.duplicates += 1
                continue
            parsed.append((line, row, build_customer(row, managers)))
        except RowError as error:
            ctx.reject(report, line, row, error)
            continue
        seen.add(line, row)
    report.loaded += len(save_records(ctx, report, parsed))


def save_records(
    ctx: LoadContext,
    report: FileReport,
    parsed: list[tuple[int, dict[str, str], CustomerRecord]],
) -> set[str]:
    """Save in batches; a batch the database refuses is retried row by row."""
    saved: set[str] = set()
    for start in range(0, len(parsed), BATCH_SIZE):
        batch = parsed[start : start + BATCH_SIZE]
        try:
            with transaction.atomic():
                save_batch([record for _, _, record in batch], SourceSystem.CRM)
            saved.update(record.source_id for _, _, record in batch)
        except IntegrityError:
            for line, row, record in batch:
                record.forget_ids()
                try:
                    save_record(record)
                except RowError as error:
                    ctx.reject(report, line, row, error)
                else:
                    saved.add(record.source_id)
    return saved


def save_batch(records: list[CustomerRecord], system: str) -> None:
    """Four bulk inserts (with history rows) instead of four saves per customer."""
    bulk_create_with_history([r.party for r in records], Party)
    for record in records:
        record.detail.party = record.party
        record.customer.party = record.party
    people = [r.detail for r in records if isinstance(r.detail, Individual)]
    organisations = [r.detail for r in records if isinstance(r.detail, Organization)]
    bulk_create_with_history(people, Individual)
    bulk_create_with_history(organisations, Organization)
    bulk_create_with_history([r.customer for r in records], Customer)
    CustomerSourceKey.objects.bulk_create(
        [
            CustomerSourceKey(customer=r.customer, system=system, source_id=r.source_id)
            for r in records
        ]
    )


def save_record(record: CustomerRecord) -> None:
    """Save one customer's rows in a savepoint; a refused row leaves nothing behind."""
    try:
        with transaction.atomic():
            record.save(SourceSystem.CRM)
    except IntegrityError as error:
        raise RowError("(constraint)", refused_by(error)) from error


def refused_by(error: IntegrityError) -> str:
    models_in_order: list[type[models.Model]] = [
        Party, Individual, Organization, Customer, CustomerSourceKey,
    ]  # fmt: skip
    for model in models_in_order:
        message = constraint_message(model, error)
        if message != str(error).splitlines()[0]:
            return message
    return str(error).splitlines()[0]


def build_contact(row: dict[str, str], party_ids: dict[str, int]) -> ContactMedium:
    cust_no = required(row, "cust_no")
    if cust_no not in party_ids:
        raise RowError("cust_no", f"unknown customer {cust_no!r}")
    kind = one_of(row, "kind", ContactKind.values)
    value = required(row, "value")
    contact = ContactMedium(
        party_id=party_ids[cust_no],
        kind=kind,
        province=optional(row, "province"),
        city=optional(row, "city"),
        district=optional(row, "district"),
        is_primary=flag(row, "is_primary"),
    )
    if kind == ContactKind.PHONE:
        contact.phone = normalised_phone(value, "value")
    elif kind == ContactKind.EMAIL:
        contact.email = value
    else:
        contact.street = value
    return contact


def normalised_phone(value: str, field: str) -> str:
    try:
        return phone_normalize(value)
    except InvalidPhoneNumber as error:
        raise RowError(field, str(error)) from error


def load_contacts(ctx: LoadContext) -> None:
    """Contacts of customers that have none yet; the others' are already present.

    The contact file has no key of its own: the owning customer decides, so a re-run
    adds nothing and a customer loaded earlier without its contacts gets them now.
    """
    party_ids = dict(Customer.objects.values_list("customer_number", "party_id"))
    with_contacts = set(
        Customer.objects.filter(party__contact_media__isnull=False).values_list(
            "customer_number", flat=True
        )
    )
    load_rows(
        ctx, CONTACTS, CONTACT_COLUMNS, key="cust_no", unique=False,
        present=set() if ctx.resubmission else with_contacts,
        build=lambda row: build_contact(row, party_ids), model=ContactMedium,
    )  # fmt: skip
