"""The operational store's records for linkage, in the pipeline's RECORD_COLUMNS.

One record per source record: each CRM customer, each billing account, each broadband
customer (its install site holds the name and address as the broadband system spelt
them). Known links are those the sources state: a billing account opened for a CRM
customer, a broadband record the loader attached to a CRM customer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa

from telcrm.accounts.models import BillingAccount, ServiceAccount
from telcrm.customers.choices import SourceSystem
from telcrm.customers.models import Customer, CustomerSourceKey
from telcrm.lib.masking import mask_id_number, mask_phone
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual, Organization
from telcrm_pipeline.linkage import (
    KNOWN_LINK_COLUMNS,
    RECORD_COLUMNS,
    infer_party_kind,
    record_id,
)
from telcrm_pipeline.linkage.records import strip_region

Row = dict[str, str]


@dataclass
class LinkageRecords:
    """The records, the known links, and what each record is in the database."""

    rows: list[Row] = field(default_factory=list)
    known: list[tuple[str, str, str]] = field(default_factory=list)
    customer_of: dict[str, int | None] = field(default_factory=dict)
    account_of: dict[str, int] = field(default_factory=dict)

    @cached_property
    def crm_customers(self) -> set[int]:
        return {
            customer
            for rid, customer in self.customer_of.items()
            if rid.startswith("crm:") and customer is not None
        }

    def table(self) -> pa.Table:
        return pa.table(
            {name: [row[name] for row in self.rows] for name in RECORD_COLUMNS}
        )

    def known_table(self) -> pa.Table:
        columns = list(zip(*self.known, strict=True)) or [(), (), ()]
        return pa.table(
            {
                name: list(values)
                for name, values in zip(KNOWN_LINK_COLUMNS, columns, strict=True)
            }
        )


def party_details(
    party_ids: Collection[int] | None = None,
) -> tuple[dict[int, tuple[str, str]], dict[int, Row]]:
    """Per party (every party, or those given): (ID number, birth date); and the
    primary phone and address."""
    chosen = {} if party_ids is None else {"party_id__in": list(party_ids)}
    ids: dict[int, tuple[str, str]] = {}
    individuals = Individual.objects.filter(**chosen)
    for individual in individuals.only("party_id", "id_number", "birth_date"):
        birth = individual.birth_date.isoformat() if individual.birth_date else ""
        ids[individual.party_id] = (individual.id_number or "", birth)
    organizations = Organization.objects.filter(**chosen)
    for party_id, uscc in organizations.values_list("party_id", "uscc"):
        ids[party_id] = (uscc or "", "")
    contacts: dict[int, Row] = defaultdict(dict)
    primary = ContactMedium.objects.filter(is_primary=True, **chosen).values_list(
        "party_id", "kind", "phone", "street", "province", "city", "district"
    )
    for party_id, kind, phone, street, province, city, district in primary:
        if kind == ContactKind.PHONE and "phone" not in contacts[party_id]:
            contacts[party_id]["phone"] = phone
        elif kind == ContactKind.ADDRESS and "street" not in contacts[party_id]:
            contacts[party_id].update(
                street=street, province=province, city=city, district=district
            )
    return ids, contacts


def linkage_records() -> LinkageRecords:
    """Every CRM customer, billing account and broadband record not merged away."""
    found = LinkageRecords()
    ids, contacts = party_details()
    keys: dict[str, dict[str, int]] = defaultdict(dict)
    for system, source_id, customer_id in CustomerSourceKey.objects.values_list(
        "system", "source_id", "customer_id"
    ):
        keys[system][source_id] = customer_id
    crm_of_customer = {
        customer: number for number, customer in keys[SourceSystem.CRM].items()
    }
    customers = Customer.objects.values_list(
        "id", "customer_number", "party_id", "party__kind", "party__name"
    )
    for customer_id, number, party_id, kind, name in customers:
        if number not in keys[SourceSystem.CRM]:
            continue
        id_number, birth = ids.get(party_id, ("", ""))
        found.rows.append(
            record("crm", number, kind, name, id_number, birth, contacts[party_id])
        )
        found.customer_of[record_id("crm", number)] = customer_id
    billing_records(found, crm_of_customer)
    broadband_records(found, keys[SourceSystem.BROADBAND], crm_of_customer)
    return found


def billing_records(found: LinkageRecords, crm_of_customer: dict[int, str]) -> None:
    accounts = BillingAccount.objects.only(
        "id", "account_number", "customer_id", "holder_name", "holder_id_number",
        "contact_phone", "bill_street", "bill_province", "bill_city", "bill_district",
    )  # fmt: skip
    for account in accounts:
        number = account.account_number
        id_number = account.holder_id_number or ""
        found.rows.append(
            record(
                "billing", number,
                infer_party_kind(account.holder_name, id_number),
                account.holder_name, id_number, "",
                {"phone": account.contact_phone, "street": account.bill_street,
                 "province": account.bill_province, "city": account.bill_city,
                 "district": account.bill_district},
            )
        )  # fmt: skip
        rid = record_id("billing", number)
        found.customer_of[rid] = account.customer_id
        found.account_of[rid] = account.id
        crm = crm_of_customer.get(account.customer_id or 0)
        if crm:
            found.known.append((rid, record_id("crm", crm), "billing_cust_ref"))


def broadband_records(
    found: LinkageRecords, broadband: dict[str, int], crm_of_customer: dict[int, str]
) -> None:
    sites = {
        site.account_number: site
        for site in ServiceAccount.objects.filter(account_number__in=list(broadband))
    }
    for bb_id, customer_id in broadband.items():
        crm = crm_of_customer.get(customer_id)
        # The install site keeps the broadband system's own view of its customer.
        site = sites.get(bb_id) or ServiceAccount(account_number=bb_id)
        place = {
            "phone": site.contact_phone,
            "street": site.street,
            "province": site.province,
            "city": site.city,
            "district": site.district,
        }
        found.rows.append(
            record("broadband", bb_id, "individual", site.name,
                   site.holder_id_number or "", "", place)
        )  # fmt: skip
        rid = record_id("broadband", bb_id)
        found.customer_of[rid] = customer_id
        if crm:
            found.known.append((rid, record_id("crm", crm), "broadband_line_id"))


def record(
    system: str,
    source_id: str,
    kind: str,
    name: str,
    id_number: str,
    birth: str,
    place: Row,
) -> Row:
    street = place.get("street", "") or ""
    return {
        "record_id": record_id(system, source_id),
        "source_system": system,
        "source_id": source_id,
        "party_kind": kind,
        "name": name,
        "id_number": id_number,
        "birth_date": birth,
        "phone": place.get("phone", "") or "",
        # Systems write the region into the street or not: compare the street alone.
        "street": strip_region(
            street, place.get("province"), place.get("city"), place.get("district")
        )
        or "",
        "province": place.get("province", "") or "",
        "city": place.get("city", "") or "",
        "district": place.get("district", "") or "",
    }


def record_view(rid: str) -> Row:
    """One record as staff see it in the review queue (identifiers masked)."""
    system, _, source_id = rid.partition(":")
    view: Row = {}
    if system == "billing":
        account = BillingAccount.objects.filter(account_number=source_id).first()
        if account is not None:
            view = {
                "name": account.holder_name,
                "id_number": mask_id_number(account.holder_id_number or ""),
                "phone": mask_phone(account.contact_phone),
                "address": " ".join([account.bill_province, account.bill_city,
                                     account.bill_district, account.bill_street]),
                "customer": str(account.customer or ""),
            }  # fmt: skip
        return view
    key = CustomerSourceKey.objects.filter(system=system, source_id=source_id).first()
    if key is None:
        return view
    customer = Customer.objects.select_related("party").get(pk=key.customer_id)
    ids, contacts = party_details_of(customer.party_id)
    view = {
        "name": customer.party.name,
        "id_number": mask_id_number(ids[0]),
        "birth_date": ids[1],
        "phone": mask_phone(contacts.get("phone", "")),
        "address": " ".join(
            contacts.get(part, "")
            for part in ("province", "city", "district", "street")
        ),
        "customer": customer.customer_number,
    }
    site = ServiceAccount.objects.filter(account_number=source_id).first()
    if system == "broadband" and site is not None:
        view["name"] = site.name
        view["address"] = " ".join(
            [site.province, site.city, site.district, site.street]
        )
    return view


def party_details_of(party_id: int) -> tuple[tuple[str, str], Row]:
    ids, contacts = party_details([party_id])
    return ids.get(party_id, ("", "")), contacts[party_id]
