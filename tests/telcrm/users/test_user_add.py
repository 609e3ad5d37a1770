"""`user_add`: a member of staff with a role, a checked password and a book."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import translation
from tests.telcrm.factories import CustomerFactory

from telcrm.accounts.services import group_node_add, group_root_create
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.users.services import UserAddError, user_add

pytestmark = pytest.mark.django_db

STRONG = "plum harbour seventeen lanterns"


def customer(number: str) -> Customer:
    made: Customer = CustomerFactory(customer_number=number)
    return made


def test_the_user_logs_in_with_the_given_password_and_role() -> None:
    user = user_add(username="li.agent", role=Role.AGENT, password=STRONG)

    request = RequestFactory().post("/login/")
    assert authenticate(request, username="li.agent", password=STRONG) == user
    assert (user.role, user.is_staff, user.is_superuser) == (Role.AGENT, False, False)


def test_administrators_and_auditors_may_open_the_admin_site() -> None:
    admin = user_add(username="zhao.admin", role=Role.ADMINISTRATOR, password=STRONG)
    auditor = user_add(username="qian.audit", role=Role.AUDITOR, password=STRONG)

    assert (admin.is_staff, auditor.is_staff) == (True, True)


def test_manager_of_a_group_manages_every_customer_of_the_group() -> None:
    root = group_root_create(node_number="G1", customer=customer("C1"))
    group_node_add(
        parent=root, node_number="G1.1", customer=customer("C2"), level="branch"
    )
    customer("C3")

    user = user_add(
        username="wang.am", role=Role.ACCOUNT_MANAGER, password=STRONG, manager_of="G1"
    )

    managed = Customer.objects.filter(account_manager=user)
    assert sorted(managed.values_list("customer_number", flat=True)) == ["C1", "C2"]


def test_manager_of_a_customer_manages_that_customer() -> None:
    customer("C9")

    user = user_add(
        username="wang.am", role=Role.ACCOUNT_MANAGER, password=STRONG, manager_of="C9"
    )

    assert Customer.objects.get(customer_number="C9").account_manager == user


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "janitor"}, "Unknown role 'janitor'; one of: agent, outlet_staff"),
        ({"password": "short"}, "Password refused: This password is too short."),
        ({"password": "password12345"}, "This password is too common."),
        ({"manager_of": "G404"}, "No group node or customer numbered 'G404'"),
    ],
)
def test_refusals_say_what_is_wrong_and_save_nothing(
    kwargs: dict[str, str], message: str
) -> None:
    arguments = {"username": "li.agent", "role": Role.AGENT, "password": STRONG}

    with (
        translation.override("en"),
        pytest.raises(UserAddError, match=re.escape(message)),
    ):
        user_add(**{**arguments, **kwargs})

    assert not User.objects.filter(username="li.agent").exists()


def test_a_branch_is_not_a_group_to_manage() -> None:
    root = group_root_create(node_number="G1", customer=customer("C1"))
    group_node_add(
        parent=root, node_number="G1.1", customer=customer("C2"), level="branch"
    )

    with pytest.raises(
        UserAddError, match=re.escape("G1.1 is not the root of its group")
    ):
        user_add(
            username="am", role=Role.ACCOUNT_MANAGER, password=STRONG, manager_of="G1.1"
        )

    assert not User.objects.filter(username="am").exists()


def test_a_taken_user_name_is_refused() -> None:
    user_add(username="li.agent", role=Role.AGENT, password=STRONG)

    with pytest.raises(
        UserAddError, match=re.escape("User 'li.agent' already exists.")
    ):
        user_add(username="li.agent", role=Role.ANALYST, password=STRONG)
