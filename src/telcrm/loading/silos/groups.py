"""crm/groups.csv -> the enterprise group trees, one account manager per group."""

from __future__ import annotations

from telcrm.accounts.choices import GroupLevel
from telcrm.accounts.models import GroupNode
from telcrm.accounts.services import (
    group_assign_account_manager,
    group_node_add,
    group_root_create,
)
from telcrm.customers.models import Customer
from telcrm.loading.context import LoadContext
from telcrm.loading.parsing import RowError, check_readable, one_of, required
from telcrm.loading.report import FileReport
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "crm/groups.csv"
COLUMNS = SILO_COLUMNS[FILE]


def load_groups(ctx: LoadContext) -> None:
    """Add nodes parents first (a child may come before its parent in the file)."""
    report = ctx.file_report(FILE)
    present = set(GroupNode.objects.values_list("node_number", flat=True))
    waiting: list[tuple[int, dict[str, str]]] = []
    for line, row in ctx.rows(FILE, COLUMNS, report):
        if row.get("node_no") in present:
            report.duplicates += 1
        else:
            waiting.append((line, row))
    roots = add_nodes_parents_first(ctx, report, waiting)
    for root in roots:
        # The root customer's manager becomes the manager of the whole tree.
        manager = root.customer.account_manager
        group_assign_account_manager(root=root, manager=manager, by=None)


def add_nodes_parents_first(
    ctx: LoadContext, report: FileReport, waiting: list[tuple[int, dict[str, str]]]
) -> list[GroupNode]:
    nodes = {node.node_number: node for node in GroupNode.objects.all()}
    roots: list[GroupNode] = []
    while waiting:
        still_waiting = []
        for line, row in waiting:
            parent_no = row.get("parent_node_no", "").strip()
            if parent_no and parent_no not in nodes:
                still_waiting.append((line, row))
                continue
            try:
                node = add_node(row, nodes.get(parent_no))
            except RowError as error:
                ctx.reject(report, line, row, error)
                continue
            nodes[node.node_number] = node
            report.loaded += 1
            if node.is_root():
                roots.append(node)
        if len(still_waiting) == len(waiting):
            for line, row in still_waiting:
                reason = f"unknown parent node {row['parent_node_no']!r}"
                ctx.reject(report, line, row, RowError("parent_node_no", reason))
            break
        waiting = still_waiting
    return roots


def add_node(row: dict[str, str], parent: GroupNode | None) -> GroupNode:
    check_readable(row)
    node_number = required(row, "node_no")
    level = one_of(row, "level", GroupLevel.values)
    customer = Customer.objects.filter(customer_number=required(row, "cust_no")).first()
    if customer is None:
        raise RowError("cust_no", f"unknown customer {row['cust_no']!r}")
    if GroupNode.objects.filter(customer=customer).exists():
        raise RowError("cust_no", f"customer {row['cust_no']!r} is already in a group")
    if parent is None:
        if level != GroupLevel.GROUP:
            raise RowError("level", "a node without a parent must be a group")
        return group_root_create(node_number=node_number, customer=customer)
    return group_node_add(
        parent=parent, node_number=node_number, customer=customer, level=level
    )
