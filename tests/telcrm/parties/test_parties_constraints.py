"""Database invariants of parties and contact media."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.telcrm.constraint_helpers import assert_db_rejects
from tests.telcrm.factories import OrganizationFactory, PartyFactory

from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Organization, Party
from telcrm.parties.services import ContactInput, contact_medium_add

pytestmark = pytest.mark.django_db


def test_it_rejects_a_second_primary_phone_for_a_party() -> None:
    party = PartyFactory()
    contact_medium_add(
        party=party,
        contact=ContactInput(ContactKind.PHONE, "138 0013 8000", is_primary=True),
    )

    assert_db_rejects(
        ContactMedium,
        lambda: ContactMedium.objects.create(
            party=party, kind=ContactKind.PHONE, phone="+8613900139000", is_primary=True
        ),
        "contact_one_primary_per_kind",
    )


def test_it_allows_one_primary_per_kind_and_many_secondaries() -> None:
    party = PartyFactory()
    for value, primary in [("13800138000", True), ("13900139000", False)]:
        contact_medium_add(
            party=party,
            contact=ContactInput(ContactKind.PHONE, value, is_primary=primary),
        )
    contact_medium_add(
        party=party,
        contact=ContactInput(ContactKind.EMAIL, "A@Example.cn", is_primary=True),
    )

    assert sorted(party.contact_media.values_list("phone", "email", "is_primary")) == [
        ("", "a@example.cn", True),
        ("+8613800138000", "", True),
        ("+8613900139000", "", False),
    ]


def test_it_rejects_a_phone_contact_not_in_e164() -> None:
    party = PartyFactory()
    assert_db_rejects(
        ContactMedium,
        lambda: ContactMedium.objects.create(
            party=party, kind=ContactKind.PHONE, phone="13800138000"
        ),
        "contact_value_matches_kind",
    )


def test_it_rejects_a_party_without_a_name() -> None:
    assert_db_rejects(
        Party,
        lambda: Party.objects.create(kind="individual", name=""),
        "party_name_present",
    )


def test_it_rejects_an_unknown_party_kind() -> None:
    assert_db_rejects(
        Party, lambda: Party.objects.create(kind="robot", name="X"), "party_kind_known"
    )


def test_it_rejects_a_duplicate_uscc() -> None:
    OrganizationFactory(uscc="91110000600037341L")
    party = PartyFactory(kind="organization")
    assert_db_rejects(
        Organization,
        lambda: Organization.objects.create(party=party, uscc="91110000600037341L"),
    )


def test_it_reports_the_constraint_message_on_validation() -> None:
    party = PartyFactory()
    contact_medium_add(
        party=party,
        contact=ContactInput(ContactKind.PHONE, "13800138000", is_primary=True),
    )
    second = ContactMedium(
        party=party, kind=ContactKind.PHONE, phone="+8613900139000", is_primary=True
    )

    with pytest.raises(ValidationError) as excinfo:
        second.validate_constraints()
    assert excinfo.value.messages == [
        "A party has at most one primary contact of each kind."
    ]
