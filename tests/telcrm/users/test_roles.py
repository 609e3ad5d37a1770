"""One permission group per role, synced on migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from tests.telcrm.factories import UserFactory

from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.users.services import roles_sync

pytestmark = pytest.mark.django_db


def _codenames(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return set(group.permissions.values_list("codename", flat=True))


def test_migrate_created_one_group_per_role() -> None:
    assert set(Group.objects.values_list("name", flat=True)) == set(Role.values)


def test_an_agent_reads_customers_and_records_interactions_but_edits_no_bills() -> None:
    agent = _codenames(Role.AGENT)

    assert {"view_customer", "add_interaction", "add_consent"} <= agent
    assert "change_bill" not in agent
    assert "delete_customer" not in agent


def test_an_auditor_only_views() -> None:
    auditor = _codenames(Role.AUDITOR)

    assert "view_historicalcustomer" in auditor
    assert {c.split("_")[0] for c in auditor} == {"view"}


def test_roles_sync_repairs_a_tampered_group_and_is_idempotent() -> None:
    Group.objects.get(name=Role.MARKETER).permissions.clear()

    first = roles_sync()
    second = roles_sync()

    assert first == second
    assert first[Role.MARKETER] == len(_codenames(Role.MARKETER)) > 0
    assert Group.objects.count() == len(Role.values)


def test_a_staff_member_holds_the_permissions_of_their_role_without_groups() -> None:
    agent = UserFactory(role=Role.AGENT)

    assert agent.groups.count() == 0
    assert agent.has_perm("customers.view_customer")
    assert agent.has_perm("customers.add_interaction")
    assert not agent.has_perm("billing.change_bill")
    assert not agent.has_perm("catalog.change_productoffering")


def test_changing_the_role_changes_the_permissions() -> None:
    UserFactory(username="li.na", role=Role.AUDITOR)
    User.objects.filter(username="li.na").update(role=Role.MARKETER)

    marketer = User.objects.get(username="li.na")

    assert set(marketer.get_all_permissions()) == {
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(
            group__name=Role.MARKETER
        ).values_list("content_type__app_label", "codename")
    }
    assert not marketer.has_perm("customers.view_historicalcustomer")


def test_an_inactive_staff_member_holds_no_permission() -> None:
    agent = UserFactory(role=Role.AGENT, is_active=False)

    assert agent.get_all_permissions() == set()
    assert not agent.has_perm("customers.view_customer")


def test_staff_without_a_role_hold_only_their_own_groups() -> None:
    nobody = UserFactory(role="")

    assert nobody.get_all_permissions() == set()
