"""The data scope of each role: who may open which customer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import cast

import pytest
from django.db import connection
from django.http import Http404
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.accounts.choices import GroupLevel, TeamRole
from telcrm.accounts.models import AccountTeamMember
from telcrm.accounts.services import group_node_add, group_root_create
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import Team, User
from telcrm.web.scope import customer_for, visible_among, visible_customers

pytestmark = pytest.mark.django_db


def staff(role: str, **fields: object) -> User:
    return cast(User, UserFactory(role=role, **fields))


def customer(manager: User | None = None) -> Customer:
    return cast(Customer, CustomerFactory(account_manager=manager))


def numbers(user: User) -> set[str]:
    return set(visible_customers(user).values_list("customer_number", flat=True))


def test_each_role_sees_its_customers_and_no_others() -> None:
    lead = staff(Role.SUPERVISOR)
    mine = staff(Role.ACCOUNT_MANAGER, supervisor=lead)
    theirs = staff(Role.ACCOUNT_MANAGER)
    own, other, unmanaged = customer(mine), customer(theirs), customer()
    merged = customer(mine)
    merged.merged_into = own
    merged.save()
    everyone = {own.customer_number, other.customer_number, unmanaged.customer_number}

    assert numbers(mine) == {own.customer_number}
    assert numbers(lead) == {own.customer_number}
    assert numbers(staff(Role.AGENT)) == everyone
    assert numbers(staff(Role.OUTLET_STAFF)) == everyone
    assert numbers(staff(Role.ADMINISTRATOR)) == everyone
    for aggregate_only in (Role.MARKETER, Role.ANALYST, Role.AUDITOR):
        assert numbers(staff(aggregate_only)) == set()


def test_a_team_leader_sees_the_members_customers() -> None:
    leader = staff(Role.SUPERVISOR)
    member = staff(Role.ACCOUNT_MANAGER)
    team = Team.objects.create(name="Key accounts East", leader=leader)
    team.members.add(member)
    managed = customer(member)

    assert numbers(leader) == {managed.customer_number}


def test_an_account_team_member_sees_the_whole_group() -> None:
    manager = staff(Role.ACCOUNT_MANAGER)
    specialist = staff(Role.ACCOUNT_MANAGER)
    root = group_root_create(node_number="G1", customer=customer(manager))
    branch = group_node_add(
        parent=root, node_number="G1-1", customer=customer(), level=GroupLevel.BRANCH
    )
    AccountTeamMember.objects.create(
        root=root, user=specialist, team_role=TeamRole.PRODUCT_SPECIALIST
    )
    elsewhere = group_root_create(node_number="G2", customer=customer(manager))

    assert numbers(specialist) == {
        root.customer.customer_number,
        branch.customer.customer_number,
    }
    assert elsewhere.customer.customer_number not in numbers(specialist)


def test_another_managers_customer_is_a_404() -> None:
    mine, theirs = staff(Role.ACCOUNT_MANAGER), staff(Role.ACCOUNT_MANAGER)
    other = customer(theirs)

    with pytest.raises(Http404):
        customer_for(mine, other.customer_number)
    assert customer_for(theirs, other.customer_number) == other


def test_a_list_larger_than_one_statement_binds_is_checked_within_the_scope(
    upstream_sqlite_variable_limit: None,
) -> None:
    # A value x risk cell of a large operator: more numbers than one statement may
    # bind (SQLite's default limit is 32,766 variables).
    manager = staff(Role.ACCOUNT_MANAGER)
    own, other = customer(manager), customer()
    merged = customer()
    merged.merged_into = other
    merged.save()
    listed = [f"X{n:09d}" for n in range(40_000)]
    listed += [own.customer_number, other.customer_number, merged.customer_number]

    assert visible_among(staff(Role.AGENT), listed) == {
        own.customer_number,
        other.customer_number,
    }
    assert visible_among(manager, listed) == {own.customer_number}
    assert visible_among(staff(Role.MARKETER), listed) == set()


@pytest.fixture
def upstream_sqlite_variable_limit() -> Iterator[None]:
    """SQLite as built upstream binds at most 32,766 variables a statement (Debian's
    build allows 250,000): hold this connection to the upstream default."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
    try:
        yield
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
