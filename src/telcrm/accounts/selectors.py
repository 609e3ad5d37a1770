"""Reads of the accounts app: subtree queries over the group trees."""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr

from telcrm.accounts.models import GroupNode
from telcrm.customers.models import Customer


def group_subtree_nodes(
    node: GroupNode, *, include_self: bool = True
) -> QuerySet[GroupNode]:
    """``node`` and everything below it: one prefix range scan on ``path``."""
    nodes = GroupNode.objects.filter(path__startswith=node.path)
    return nodes if include_self else nodes.exclude(pk=node.pk)


def group_subtree_customers(
    node: GroupNode, *, include_self: bool = True
) -> QuerySet[Customer]:
    """The customers at ``node`` and at every node below it."""
    customers = Customer.objects.filter(group_node__path__startswith=node.path)
    if not include_self:
        customers = customers.exclude(group_node=node)
    return customers


def group_ancestors(node: GroupNode) -> QuerySet[GroupNode]:
    """The nodes above ``node``, root first (derived from the path, one query)."""
    return GroupNode.objects.get_ancestors(node)


def group_manager_mismatches() -> QuerySet[Customer]:
    """Customers in a group whose manager differs from their group root's manager.

    The check behind "one manager per group": empty after every
    ``group_assign_account_manager`` and ``group_node_add``.
    """
    root_manager = Customer.objects.filter(
        group_node__depth=1,
        group_node__path=Substr(OuterRef("group_node__path"), 1, GroupNode.steplen),
    ).values("account_manager")[:1]
    in_group = Customer.objects.filter(group_node__isnull=False).annotate(
        root_manager=Subquery(root_manager)
    )
    return in_group.filter(
        ~Q(account_manager=F("root_manager"))
        | Q(account_manager__isnull=True, root_manager__isnull=False)
        | Q(account_manager__isnull=False, root_manager__isnull=True)
    )
