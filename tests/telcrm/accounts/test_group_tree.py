"""Enterprise group trees: subtree queries and one account manager per group (R8)."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.telcrm.constraint_helpers import assert_db_rejects
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.accounts.choices import GroupLevel, TeamRole
from telcrm.accounts.models import AccountTeamMember, GroupNode, GroupNodeHasBranches
from telcrm.accounts.selectors import (
    group_ancestors,
    group_manager_mismatches,
    group_subtree_customers,
    group_subtree_nodes,
)
from telcrm.accounts.services import (
    NotAGroupRoot,
    account_team_member_add,
    group_assign_account_manager,
    group_node_add,
    group_root_create,
)
from telcrm.customers.models import Customer

pytestmark = pytest.mark.django_db


def _add(
    parent: GroupNode, number: str, level: str = GroupLevel.SUBSIDIARY
) -> GroupNode:
    return group_node_add(
        parent=parent, node_number=number, customer=CustomerFactory(), level=level
    )


def _group(prefix: str) -> dict[str, GroupNode]:
    """root -> a -> a1 -> a1x (depth 4), a -> a2, root -> b."""
    root = group_root_create(node_number=f"{prefix}0", customer=CustomerFactory())
    a = _add(root, f"{prefix}A")
    a1 = _add(a, f"{prefix}A1", GroupLevel.BRANCH)
    a1x = _add(a1, f"{prefix}A1X", GroupLevel.BRANCH)
    a2 = _add(a, f"{prefix}A2", GroupLevel.BRANCH)
    b = _add(root, f"{prefix}B")
    return {"root": root, "a": a, "a1": a1, "a1x": a1x, "a2": a2, "b": b}


def _numbers(nodes: object) -> list[str]:
    return sorted(n.node_number for n in nodes)  # type: ignore[attr-defined]


def test_subtree_of_a_depth_3_node_is_exactly_its_descendants() -> None:
    tree = _group("G1")
    _group("G2")
    a1 = GroupNode.objects.get(node_number="G1A1")

    assert a1.depth == 3
    assert _numbers(group_subtree_nodes(a1)) == ["G1A1", "G1A1X"]
    assert _numbers(group_subtree_nodes(a1, include_self=False)) == ["G1A1X"]
    assert set(group_subtree_customers(tree["a"])) == {
        tree[k].customer for k in ("a", "a1", "a1x", "a2")
    }


def test_ancestors_run_from_the_root_down() -> None:
    tree = _group("G1")
    node = GroupNode.objects.get(pk=tree["a1x"].pk)

    assert [n.node_number for n in group_ancestors(node)] == ["G10", "G1A", "G1A1"]


def test_it_assigns_the_manager_to_the_whole_group_and_nothing_else() -> None:
    tree = _group("G1")
    other = _group("G2")
    loner = CustomerFactory()
    manager, admin = UserFactory(), UserFactory()

    changed = group_assign_account_manager(root=tree["root"], manager=manager, by=admin)

    assert changed == 6
    assert set(Customer.objects.filter(account_manager=manager)) == {
        node.customer for node in tree.values()
    }
    assert (
        Customer.objects.filter(
            pk__in=[n.customer.pk for n in other.values()] + [loner.pk],
            account_manager__isnull=False,
        ).count()
        == 0
    )
    history = tree["a1x"].customer.history.first()
    assert (history.history_user, history.account_manager_id) == (admin, manager.pk)


def test_a_new_branch_inherits_the_group_manager() -> None:
    tree = _group("G1")
    manager = UserFactory()
    group_assign_account_manager(root=tree["root"], manager=manager, by=None)
    stray_manager = UserFactory()
    newcomer = CustomerFactory(account_manager=stray_manager)

    node = group_node_add(
        parent=GroupNode.objects.get(pk=tree["a2"].pk),
        node_number="G1A2N",
        customer=newcomer,
        level=GroupLevel.BRANCH,
    )

    newcomer.refresh_from_db()
    assert newcomer.account_manager == manager
    assert node.depth == 4
    assert list(group_manager_mismatches()) == []


def test_the_mismatch_check_finds_a_customer_changed_behind_the_service() -> None:
    tree = _group("G1")
    group_assign_account_manager(root=tree["root"], manager=UserFactory(), by=None)
    Customer.objects.filter(pk=tree["b"].customer.pk).update(account_manager=None)

    assert list(group_manager_mismatches()) == [tree["b"].customer]


def test_it_refuses_to_assign_a_manager_from_a_non_root_node() -> None:
    tree = _group("G1")
    with pytest.raises(NotAGroupRoot):
        group_assign_account_manager(root=tree["a"], manager=UserFactory(), by=None)
    assert Customer.objects.filter(account_manager__isnull=False).count() == 0


def test_it_keeps_account_team_roles_unique_per_group_and_user() -> None:
    tree = _group("G1")
    user = UserFactory()
    account_team_member_add(
        root=tree["root"], user=user, team_role=TeamRole.SERVICE_MANAGER
    )
    account_team_member_add(
        root=tree["root"], user=user, team_role=TeamRole.PRODUCT_SPECIALIST
    )

    assert_db_rejects(
        AccountTeamMember,
        lambda: AccountTeamMember.objects.create(
            root=tree["root"], user=user, team_role=TeamRole.SERVICE_MANAGER
        ),
    )


def test_it_rejects_a_group_level_below_the_root() -> None:
    tree = _group("G1")
    assert_db_rejects(
        GroupNode,
        lambda: GroupNode.objects.add_child(
            tree["a"],
            {
                "node_number": "G1BAD",
                "customer": CustomerFactory(),
                "level": GroupLevel.GROUP,
            },
        ),
        "groupnode_group_is_root",
    )


@pytest.mark.postgres
def test_postgres_has_a_pattern_index_for_subtree_prefix_scans() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'accounts_groupnode'"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("varchar_pattern_ops" in d and "(path" in d for d in definitions)


def test_it_refuses_to_delete_a_node_that_has_branches_beneath_it() -> None:
    _group("G1")
    a = GroupNode.objects.get(node_number="G1A")

    with pytest.raises(GroupNodeHasBranches, match="G1A still has subsidiaries"):
        a.delete()

    assert GroupNode.objects.filter(node_number__startswith="G1").count() == 6


def test_a_leaf_node_can_be_removed_alone() -> None:
    _group("G1")

    GroupNode.objects.get(node_number="G1A1X").delete()

    assert _numbers(GroupNode.objects.all()) == ["G10", "G1A", "G1A1", "G1A2", "G1B"]
    assert GroupNode.objects.get(node_number="G1A1").numchild == 0


def test_the_admin_offers_no_delete_for_a_node_with_branches(
    admin_client: Client,
) -> None:
    tree = _group("G1")

    with_branches = admin_client.get(
        f"/admin/accounts/groupnode/{tree['a'].pk}/delete/"
    )
    leaf = admin_client.get(f"/admin/accounts/groupnode/{tree['a2'].pk}/delete/")

    assert with_branches.status_code == 403
    assert leaf.status_code == 200
