"""Writes of the customers app that touch more than one row."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from telcrm.customers.choices import (
    AcquisitionChannel,
    ConsentStatus,
    CustomerStatus,
)
from telcrm.customers.models import Consent, Customer
from telcrm.parties.choices import PartyKind
from telcrm.parties.models import ContactMedium, Party
from telcrm.parties.services import (
    ContactInput,
    contact_medium_build,
    party_individual_create,
    party_organization_create,
)
from telcrm.users.models import User


@transaction.atomic
def customer_create(
    *,
    customer_number: str,
    kind: str,
    name: str,
    customer_since: datetime.date,
    id_number: str = "",
    uscc: str | None = None,
    gender: str = "",
    birth_date: datetime.date | None = None,
    industry: str = "",
    contacts: Sequence[ContactInput] = (),
    acquisition_channel: str = AcquisitionChannel.BUSINESS_HALL,
    status: str = CustomerStatus.ACTIVE,
    status_date: datetime.date | None = None,
    account_manager: User | None = None,
) -> Customer:
    """Create a customer with its party, details and contact points, all or nothing.

    Raises InvalidIdentifier / InvalidPhoneNumber for bad input, before writing.
    """
    if kind == PartyKind.INDIVIDUAL:
        party = party_individual_create(
            name=name, id_number=id_number, gender=gender, birth_date=birth_date
        )
    else:
        party = party_organization_create(name=name, uscc=uscc, industry=industry)
    _contacts_create(party, contacts)
    return Customer.objects.create(
        party=party,
        customer_number=customer_number,
        customer_since=customer_since,
        acquisition_channel=acquisition_channel,
        status=status,
        status_date=status_date,
        account_manager=account_manager,
    )


def _contacts_create(party: Party, contacts: Sequence[ContactInput]) -> None:
    media = [contact_medium_build(party=party, contact=c) for c in contacts]
    ContactMedium.objects.bulk_create(media)


def _current_consent(customer: Customer, purpose: str, channel: str) -> Consent | None:
    return (
        Consent.objects.select_for_update()
        .filter(
            customer=customer,
            purpose=purpose,
            channel=channel,
            status=ConsentStatus.GRANTED,
        )
        .first()
    )


@transaction.atomic
def consent_record(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    source: str,
    evidence: str = "",
    at: datetime.datetime | None = None,
    by: User | None = None,
) -> Consent:
    """Record that ``customer`` grants ``purpose`` over ``channel``.

    Idempotent: when a current grant exists it is returned unchanged (its original
    time and evidence are what proves the consent).
    """
    current = _current_consent(customer, purpose, channel)
    if current is not None:
        return current
    return Consent.objects.create(
        customer=customer,
        purpose=purpose,
        channel=channel,
        source=source,
        evidence=evidence,
        granted_at=at or timezone.now(),
        recorded_by=by,
    )


@transaction.atomic
def consent_withdraw(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    at: datetime.datetime | None = None,
) -> Consent | None:
    """Withdraw the current consent; returns it, or None when nothing was granted."""
    current = _current_consent(customer, purpose, channel)
    if current is None:
        return None
    current.status = ConsentStatus.WITHDRAWN
    current.withdrawn_at = at or timezone.now()
    current.save(update_fields=["status", "withdrawn_at", "updated"])
    return current
