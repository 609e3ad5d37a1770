"""Who may see which customers: the data scope of each role (docs/web.md).

* agents, outlet staff and administrators find any customer (personal data masked
  unless unmasked with a reason);
* account managers see the customers they manage and those of the groups whose
  account team they belong to;
* supervisors see the customers their reports and their teams' members manage;
* marketers, analysts and auditors see no single customer: aggregates only.

Every page and export that shows a customer goes through ``visible_customers`` or
``customer_for``, so that another account manager's customer is a 404, not a page.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from telcrm.accounts.models import AccountTeamMember, GroupNode
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import User

# Customer numbers bound per query by ``visible_among``: well under SQLite's 32,766
# and PostgreSQL's 65,535 parameters a statement may bind.
NUMBERS_PER_QUERY = 5_000
EVERY_CUSTOMER_ROLES = frozenset({Role.AGENT, Role.OUTLET_STAFF, Role.ADMINISTRATOR})
CUSTOMER_ROLES = EVERY_CUSTOMER_ROLES | {Role.ACCOUNT_MANAGER, Role.SUPERVISOR}


def live_customers() -> QuerySet[Customer]:
    """Customers that were not merged into another one."""
    return Customer.objects.filter(merged_into__isnull=True)


def holds_role(user: User, roles: Collection[str]) -> bool:
    """Whether an active ``user`` has one of ``roles`` (superusers have them all)."""
    return user.is_active and (user.is_superuser or user.role in roles)


def sees_customers(user: User) -> bool:
    """Whether the role works with single customers at all."""
    return holds_role(user, CUSTOMER_ROLES)


def visible_customers(user: User) -> QuerySet[Customer]:
    """The customers ``user`` may open, search and export."""
    if not sees_customers(user):
        return Customer.objects.none()
    if user.is_superuser or user.role in EVERY_CUSTOMER_ROLES:
        return live_customers()
    if user.role == Role.ACCOUNT_MANAGER:
        return live_customers().filter(managed_by(user.pk))
    managers = User.objects.filter(Q(supervisor=user) | Q(teams__leader=user)).values(
        "pk"
    )
    return live_customers().filter(account_manager__in=managers)


def visible_among(user: User, customer_numbers: Iterable[str]) -> set[str]:
    """Which of ``customer_numbers`` ``user`` may see.

    The list may be a value x risk cell of hundreds of thousands of customers, more
    than one statement may bind: a scoped role's own customers (a portfolio) are read
    once and intersected; for roles that see everyone the numbers are checked in
    batches.
    """
    wanted = set(customer_numbers)
    if not sees_customers(user) or not wanted:
        return set()
    if not (user.is_superuser or user.role in EVERY_CUSTOMER_ROLES):
        return wanted & set(
            visible_customers(user).values_list("customer_number", flat=True)
        )
    ordered = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(ordered), NUMBERS_PER_QUERY):
        batch = ordered[start : start + NUMBERS_PER_QUERY]
        found.update(
            live_customers()
            .filter(customer_number__in=batch)
            .values_list("customer_number", flat=True)
        )
    return found


def managed_by(user_id: int) -> Q:
    """Customers ``user_id`` manages, or whose group's account team includes them."""
    group_paths = GroupNode.objects.filter(
        pk__in=AccountTeamMember.objects.filter(user_id=user_id).values("root_id")
    ).values_list("path", flat=True)
    in_team_groups = Q()
    for path in group_paths:
        in_team_groups |= Q(group_node__path__startswith=path)
    return Q(account_manager_id=user_id) | in_team_groups


def customer_for(user: User, customer_number: str) -> Customer:
    """The customer, if ``user`` may see it; otherwise 404 (no existence leak)."""
    try:
        return visible_customers(user).get(customer_number=customer_number)
    except Customer.DoesNotExist:
        raise Http404 from None
