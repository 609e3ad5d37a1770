"""Writes of the parties app: parties with their details and contact media."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from telcrm.lib.identifiers import resident_id_facts, uscc_normalize
from telcrm.lib.phones import phone_normalize
from telcrm.parties.choices import ContactKind, PartyKind
from telcrm.parties.models import ContactMedium, Individual, Organization, Party


@dataclass(frozen=True)
class ContactInput:
    """A contact point as a source system or a form gives it (phone as typed)."""

    kind: str
    value: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    is_primary: bool = False


@transaction.atomic
def party_individual_create(
    *,
    name: str,
    id_number: str = "",
    gender: str = "",
    birth_date: datetime.date | None = None,
) -> Party:
    """Create a person. A given ID number is validated, normalised and encrypted;
    birth date and gender default to what the ID number encodes."""
    if id_number:
        facts = resident_id_facts(id_number)
        id_number = facts.number
        gender = gender or facts.gender
        birth_date = birth_date or facts.birth_date
    party = Party.objects.create(kind=PartyKind.INDIVIDUAL, name=name)
    Individual.objects.create(
        party=party, id_number=id_number, gender=gender, birth_date=birth_date
    )
    return party


@transaction.atomic
def party_organization_create(
    *, name: str, uscc: str | None = None, industry: str = ""
) -> Party:
    """Create an organisation; a given USCC is validated and normalised."""
    party = Party.objects.create(kind=PartyKind.ORGANIZATION, name=name)
    Organization.objects.create(
        party=party, uscc=uscc_normalize(uscc) if uscc else None, industry=industry
    )
    return party


def contact_medium_build(*, party: Party, contact: ContactInput) -> ContactMedium:
    """An unsaved ContactMedium with its value normalised (phones to E.164).

    Raises InvalidPhoneNumber for a phone that cannot be normalised.
    """
    medium = ContactMedium(
        party=party,
        kind=contact.kind,
        province=contact.province,
        city=contact.city,
        district=contact.district,
        is_primary=contact.is_primary,
    )
    if contact.kind == ContactKind.PHONE:
        medium.phone = phone_normalize(contact.value)
    elif contact.kind == ContactKind.EMAIL:
        medium.email = contact.value.strip().lower()
    else:
        medium.street = contact.value
    return medium


def contact_medium_add(*, party: Party, contact: ContactInput) -> ContactMedium:
    """Add one contact point to a party."""
    medium = contact_medium_build(party=party, contact=contact)
    medium.save()
    return medium
