"""Writes of the accounts app: group trees and their account manager (R8)."""

from __future__ import annotations

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from telcrm.accounts.choices import GroupLevel
from telcrm.accounts.models import AccountTeamMember, GroupNode
from telcrm.accounts.selectors import group_subtree_customers
from telcrm.customers.models import Customer
from telcrm.users.models import User


class NotAGroupRoot(ValueError):
    """Raised when a group-wide operation is given a node that is not a tree root."""


def _require_root(node: GroupNode) -> None:
    if not node.is_root():
        raise NotAGroupRoot(f"{node.node_number} is not the root of its group")


@transaction.atomic
def group_root_create(*, node_number: str, customer: Customer) -> GroupNode:
    """Start a new enterprise group with ``customer`` at its root."""
    return GroupNode.objects.add_root(
        {"node_number": node_number, "customer": customer, "level": GroupLevel.GROUP}
    )


@transaction.atomic
def group_node_add(
    *, parent: GroupNode, node_number: str, customer: Customer, level: str
) -> GroupNode:
    """Add a subsidiary or branch under ``parent``.

    The rule of one manager per group: the new node's customer takes the manager of
    the group's root customer (and loses any manager it had on its own).
    """
    root = GroupNode.objects.get_root(parent)
    customer.account_manager_id = root.customer.account_manager_id
    customer.save(update_fields=["account_manager", "updated"])
    node: GroupNode = GroupNode.objects.add_child(
        parent, {"node_number": node_number, "customer": customer, "level": level}
    )
    return node


@transaction.atomic
def group_assign_account_manager(
    *, root: GroupNode, manager: User | None, by: User | None
) -> int:
    """Make ``manager`` the account manager of every customer in ``root``'s group.

    One UPDATE per batch (with history rows attributed to ``by``); returns how many
    customers changed. Customers outside the group are untouched.
    """
    _require_root(root)
    # exclude() is NULL-aware: customers without a manager are included.
    changed = list(
        group_subtree_customers(root)
        .exclude(account_manager=manager)
        .select_for_update(of=("self",))
    )
    for customer in changed:
        customer.account_manager = manager
    bulk_update_with_history(
        changed,
        Customer,
        ["account_manager"],
        batch_size=500,
        default_user=by,
        default_change_reason="group account manager assigned",
    )
    return len(changed)


def account_team_member_add(
    *, root: GroupNode, user: User, team_role: str
) -> AccountTeamMember:
    """Add a colleague to a group's account team (teams belong to whole groups)."""
    _require_root(root)
    return AccountTeamMember.objects.create(root=root, user=user, team_role=team_role)
