"""One permission group per role, synced on migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from telcrm.users.choices import Role
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
