"""The load benchmark's operator at scale (benchmarks/operator_at_scale.py).

Its copies of a seed operator must be customers in their own right: found by their
own phone, ID number and customer number, in valid group trees; otherwise the load
figures would measure something staff never do.
"""

from __future__ import annotations

import datetime

import pytest
from benchmarks.operator_at_scale import (
    copy_seed,
    from_base36,
    other_resident_id,
    to_base36,
)
from tests.telcrm.factories import (
    CustomerFactory,
    IndividualFactory,
    SubscriptionFactory,
    UserFactory,
)

from telcrm.accounts.choices import GroupLevel
from telcrm.accounts.models import GroupNode
from telcrm.accounts.services import group_node_add, group_root_create
from telcrm.customers.models import Customer
from telcrm.inventory.models import Subscription
from telcrm.lib.identifiers import resident_id_facts
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual
from telcrm.users.choices import Role
from telcrm.web.customer360.selectors import customer_search

ID_BODY = "11010519850615123"


def test_other_resident_ids_are_valid_distinct_and_keep_the_gender_digit() -> None:
    numbers = [other_resident_id(ID_BODY, copy) for copy in range(1, 100)]

    assert len(set(numbers)) == 99
    assert numbers[0][:17] == "11010519850615133"
    for number in numbers:
        facts = resident_id_facts(number)  # raises on a wrong check digit
        assert facts.birth_date == datetime.date(1985, 6, 15)
        assert int(number[16]) % 2 == int(ID_BODY[16]) % 2


def test_group_root_steps_are_four_base36_characters() -> None:
    assert to_base36(0) == "0000"
    assert to_base36(36) == "0010"
    assert to_base36(36**4 - 1) == "ZZZZ"
    assert from_base36(to_base36(123_456)) == 123_456
    with pytest.raises(ValueError, match="too many group roots"):
        to_base36(36**4)


def seed_customer(phone: str, number: str) -> Customer:
    person = IndividualFactory()
    ContactMedium.objects.create(
        party=person.party, kind=ContactKind.PHONE, phone=f"+86{phone}",
        is_primary=True,
    )  # fmt: skip
    customer = CustomerFactory(party=person.party, customer_number=number)
    SubscriptionFactory(customer=customer, service_number=phone)
    return customer


@pytest.mark.postgres
@pytest.mark.django_db
def test_each_copy_is_found_by_its_own_phone_id_and_number() -> None:
    agent = UserFactory(role=Role.AGENT)
    first = seed_customer("13912345678", "C100000001")
    seed_customer("13987654321", "C100000002")
    root = group_root_create(node_number="G1000001", customer=first)
    group_node_add(
        parent=root, node_number="G1000002", customer=CustomerFactory(),
        level=GroupLevel.SUBSIDIARY,
    )  # fmt: skip

    copy_seed(3)

    assert Customer.objects.count() == 3 * 3  # two customers and a subsidiary
    copy = Customer.objects.get(customer_number="C02100000001")
    line = Subscription.objects.get(customer=copy)
    phone = ContactMedium.objects.get(party=copy.party, kind=ContactKind.PHONE).phone
    assert phone == f"+86{line.service_number}"
    assert (
        line.service_number.startswith("13912") and line.service_number != "13912345678"
    )
    id_number = Individual.objects.get(party=copy.party).id_number
    assert id_number == other_resident_id(first.party.individual.id_number[:17], 2)
    for key in (line.service_number, id_number, "C02100000001"):
        assert customer_search(agent, key) == [copy]
    assert customer_search(agent, "13912345678") == [first]
    assert GroupNode.objects.filter(depth=1).count() == 3
    assert GroupNode.objects.find_problems() == ([], [], [], [], [])
    subsidiary = GroupNode.objects.get(node_number="G021000002")
    assert GroupNode.objects.get_parent(subsidiary).customer == copy
