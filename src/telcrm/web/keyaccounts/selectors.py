"""Reads of the key-account pages (R8): the group page, the proposal, the workbench.

Every roll-up over a group's tree filters by the subtree's customers as a subquery
(``path LIKE 'prefix%'``), so the group page runs a fixed number of queries whatever
the number of subsidiaries and branches (tests/telcrm/web/test_keyaccounts.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404

from telcrm.accounts.models import AccountTeamMember, BillingAccount, GroupNode
from telcrm.analytics.choices import FlagStatus
from telcrm.analytics.models import CustomerScore, FraudFlag
from telcrm.billing.models import Bill
from telcrm.billing.selectors import MONEY, bills_outstanding, end_of_day
from telcrm.catalog.choices import LineOfBusiness
from telcrm.core.choices import choice_label
from telcrm.customers.choices import InteractionKind, InteractionOutcome
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.choices import LIVE_STATUSES
from telcrm.inventory.models import Subscription
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.customer360.selectors import first_of_month
from telcrm.web.scope import visible_customers

ZERO = Decimal("0.00")
REVENUE_MONTHS = 12
# A customer is "at high risk" in the pipeline's high churn-risk band: the riskiest
# by rank of the churn probability (PipelineSettings.bands), not an absolute cut,
# because the model predicts next month's churn and its probabilities stay low.
HIGH_RISK_BAND = "high"
ISSUE_KINDS = (InteractionKind.COMPLAINT, InteractionKind.SERVICE_REQUEST)
ISSUES_SHOWN = 20
VISITS_SHOWN = 20
AT_RISK_PER_PAGE = 20
TASKS_SHOWN = 20
GROUPS_SHOWN = 50


# --- Which group, and who may work on it ---------------------------------------------


def group_node_for(user: User, node_number: str) -> GroupNode:
    """The node, if its customer is in ``user``'s scope; otherwise 404."""
    node = (
        GroupNode.objects.select_related("customer__party")
        .filter(
            node_number=node_number,
            customer__in=visible_customers(user).values("pk"),
        )
        .first()
    )
    if node is None:
        raise Http404
    return node


def group_root_of(node: GroupNode) -> GroupNode:
    """The root of ``node``'s tree with its customer's manager (one query)."""
    if node.depth == 1:
        root = node
    else:
        root = GroupNode.objects.select_related("customer__party").get(
            path=node.path[: GroupNode.steplen]
        )
    return GroupNode.objects.select_related(
        "customer__party", "customer__account_manager"
    ).get(pk=root.pk)


def may_record_visits(user: User, root: GroupNode) -> bool:
    """The group's manager, its team, their supervisors and administrators."""
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return True
    colleagues = set(
        AccountTeamMember.objects.filter(root=root).values_list("user_id", flat=True)
    )
    if root.customer.account_manager_id is not None:
        colleagues.add(root.customer.account_manager_id)
    if user.pk in colleagues:
        return True
    return (
        User.objects.filter(pk__in=colleagues)
        .filter(Q(supervisor=user) | Q(teams__leader=user))
        .exists()
    )


# --- The group page ----------------------------------------------------------------


@dataclass
class TreeNode:
    node: GroupNode
    children: list[TreeNode] = field(default_factory=list)


@dataclass(frozen=True)
class ProductRow:
    line_of_business: str
    offering_code: str
    offering_name: str
    lines: int
    monthly_fees: Decimal

    @property
    def line_of_business_label(self) -> str:
        return choice_label(LineOfBusiness, self.line_of_business)


@dataclass(frozen=True)
class Risk:
    max_churn: float | None
    mean_churn: float | None
    high_risk_customers: int
    open_fraud_flags: int
    arrears: Decimal


@dataclass(frozen=True)
class VisitLists:
    done: list[Interaction]
    planned: list[Interaction]


@dataclass(frozen=True)
class GroupPage:
    node: GroupNode
    root: GroupNode
    tree: TreeNode
    nodes_count: int
    team: list[AccountTeamMember]
    products: list[ProductRow]
    revenue: list[tuple[datetime.date, Decimal]]
    revenue_total: Decimal
    open_issues: list[Interaction]
    open_issues_count: int
    risk: Risk
    visits: VisitLists


def subtree_customer_ids(node: GroupNode) -> QuerySet[Customer, Any]:
    """The subtree's customers, as a subquery (never loaded on its own)."""
    return Customer.objects.filter(group_node__path__startswith=node.path).values("pk")


def group_page(node: GroupNode, *, today: datetime.date) -> GroupPage:
    """Everything the group page shows for ``node`` and the nodes beneath it."""
    root = group_root_of(node)
    nodes = list(
        GroupNode.objects.filter(path__startswith=node.path)
        .select_related("customer__party")
        .order_by("path")
    )
    issues = open_issues(node)
    return GroupPage(
        node=node,
        root=root,
        tree=build_tree(nodes),
        nodes_count=len(nodes),
        team=list(
            AccountTeamMember.objects.filter(root=root)
            .select_related("user")
            .order_by("team_role", "user__full_name")
        ),
        products=products_held(node),
        revenue=(revenue := monthly_revenue(node, today=today)),
        revenue_total=sum((amount for _, amount in revenue), ZERO),
        open_issues=list(issues[:ISSUES_SHOWN]),
        open_issues_count=issues.count(),
        risk=group_risk(node, today=today),
        visits=group_visit_lists(root),
    )


def build_tree(nodes: list[GroupNode]) -> TreeNode:
    """Nest ``nodes`` (ordered by path, the first one the top) by their paths."""
    by_path = {node.path: TreeNode(node) for node in nodes}
    top = by_path[nodes[0].path]
    for node in nodes[1:]:
        by_path[node.path[: -GroupNode.steplen]].children.append(by_path[node.path])
    return top


def products_held(node: GroupNode) -> list[ProductRow]:
    """Live subscriptions over the subtree, by line of business and offering."""
    rows = (
        Subscription.objects.filter(
            customer__in=subtree_customer_ids(node), status__in=LIVE_STATUSES
        )
        .values("offering__line_of_business", "offering__code", "offering__name")
        .annotate(lines=Count("pk"), fees=Sum("offering__monthly_fee"))
        .order_by("offering__line_of_business", "offering__code")
    )
    return [
        ProductRow(
            line_of_business=row["offering__line_of_business"],
            offering_code=row["offering__code"],
            offering_name=row["offering__name"],
            lines=row["lines"],
            monthly_fees=Decimal(row["fees"]).quantize(Decimal("0.01")),
        )
        for row in rows
    ]


def monthly_revenue(
    node: GroupNode, *, today: datetime.date
) -> list[tuple[datetime.date, Decimal]]:
    """Billed amounts of the subtree's accounts for each of the last 12 months
    (this month included; months without bills show 0.00)."""
    since = first_of_month(today, months_back=REVENUE_MONTHS - 1)
    billed = dict(
        Bill.objects.filter(
            billing_account__customer__in=subtree_customer_ids(node),
            period__gte=since,
        )
        .values("period")
        .annotate(total=Sum("amount"))
        .order_by("period")
        .values_list("period", "total")
    )
    months = [
        first_of_month(today, months_back=back)
        for back in range(REVENUE_MONTHS - 1, -1, -1)
    ]
    return [
        (month, Decimal(billed.get(month, ZERO)).quantize(Decimal("0.01")))
        for month in months
    ]


def open_issues(node: GroupNode) -> QuerySet[Interaction]:
    """Open complaints and service requests of the subtree's customers."""
    return (
        Interaction.objects.filter(
            customer__in=subtree_customer_ids(node),
            kind__in=ISSUE_KINDS,
            outcome=InteractionOutcome.OPEN,
        )
        .select_related("customer")
        .order_by("-occurred_at", "-id")
    )


def group_risk(node: GroupNode, *, today: datetime.date) -> Risk:
    """Churn scores, open fraud flags and arrears rolled up over the subtree."""
    customers = subtree_customer_ids(node)
    churn = CustomerScore.objects.filter(customer__in=customers).aggregate(
        max_churn=Max("churn_probability"),
        mean_churn=Avg("churn_probability"),
        high=Count("pk", filter=Q(risk_band=HIGH_RISK_BAND)),
    )
    arrears = (
        bills_outstanding(today)
        .filter(
            billing_account__in=BillingAccount.objects.filter(
                customer__in=customers
            ).values("pk")
        )
        .aggregate(total=Coalesce(Sum("outstanding"), Value(ZERO, output_field=MONEY)))
    )
    return Risk(
        max_churn=churn["max_churn"],
        mean_churn=churn["mean_churn"],
        high_risk_customers=churn["high"],
        open_fraud_flags=FraudFlag.objects.filter(
            customer__in=customers, status=FlagStatus.OPEN
        ).count(),
        arrears=Decimal(arrears["total"]).quantize(Decimal("0.01")),
    )


def group_visits(root: GroupNode) -> QuerySet[Interaction]:
    """Visits to the group (recorded against its root's customer), latest first."""
    return (
        Interaction.objects.filter(
            customer_id=root.customer_id, kind=InteractionKind.VISIT
        )
        .select_related("staff")
        .order_by("-occurred_at", "-id")
    )


def group_visit_lists(root: GroupNode) -> VisitLists:
    """Visits made (latest first) and planned (soonest first)."""
    visits = group_visits(root)
    return VisitLists(
        done=list(visits.exclude(outcome=InteractionOutcome.OPEN)[:VISITS_SHOWN]),
        planned=list(
            visits.filter(outcome=InteractionOutcome.OPEN).order_by(
                "occurred_at", "id"
            )[:VISITS_SHOWN]
        ),
    )


# --- The workbench -----------------------------------------------------------------


@dataclass(frozen=True)
class Workbench:
    customers_count: int
    groups: list[GroupNode]
    groups_count: int
    at_risk: Page[CustomerScore]
    visits_due: list[Interaction]
    visits_due_count: int
    complaints: list[Interaction]
    complaints_count: int


def value_at_risk_scores(scope: QuerySet[Customer]) -> QuerySet[CustomerScore]:
    """Scored customers in ``scope`` by value at risk, largest first.

    Value at risk = churn probability x CLV: what the operator expects to lose if
    nothing is done. Without a CLV, the 12-month contribution stands in (a year's
    margin is the least a customer's future is worth); without either it is 0.
    """
    worth = Coalesce(
        Cast("clv", FloatField()),
        Cast("contribution", FloatField()),
        Value(0.0),
        output_field=FloatField(),
    )
    return (
        CustomerScore.objects.filter(
            customer__in=scope.values("pk"), churn_probability__isnull=False
        )
        .select_related("customer__party")
        .annotate(value_at_risk=F("churn_probability") * worth)
        .order_by("-value_at_risk", "customer__customer_number")
    )


def workbench(user: User, *, today: datetime.date, page: int | str = 1) -> Workbench:
    """An account manager's (or supervisor's) customers, risks and tasks today."""
    scope = visible_customers(user)
    groups = (
        GroupNode.objects.filter(depth=1, customer__in=scope.values("pk"))
        .select_related("customer__party")
        .order_by("node_number")
    )
    visits_due = (
        Interaction.objects.filter(
            customer__in=scope.values("pk"),
            kind=InteractionKind.VISIT,
            outcome=InteractionOutcome.OPEN,
            occurred_at__lt=end_of_day(today),
        )
        .select_related("customer__group_node", "staff")
        .order_by("occurred_at", "id")
    )
    complaints = (
        Interaction.objects.filter(
            customer__in=scope.values("pk"),
            kind=InteractionKind.COMPLAINT,
            outcome=InteractionOutcome.OPEN,
        )
        .select_related("customer")
        .order_by("occurred_at", "id")
    )
    return Workbench(
        customers_count=scope.count(),
        groups=list(groups[:GROUPS_SHOWN]),
        groups_count=groups.count(),
        at_risk=Paginator(value_at_risk_scores(scope), AT_RISK_PER_PAGE).get_page(page),
        visits_due=list(visits_due[:TASKS_SHOWN]),
        visits_due_count=visits_due.count(),
        complaints=list(complaints[:TASKS_SHOWN]),
        complaints_count=complaints.count(),
    )
