"""Writes of the users app."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from telcrm.users.choices import Role
from telcrm.users.models import User

DOMAIN_APPS = (
    "users",
    "parties",
    "catalog",
    "customers",
    "accounts",
    "inventory",
    "billing",
    "imports",
    "usage",
    "linkage",
    "analytics",
    "audit",
    "campaigns",
)

CRUD_ACTIONS = ("add", "change", "delete", "view")

# "action:app.model"; "*" matches every model of the app (history models included).
# Least privilege: front-line roles read what the 360 view shows and write only the
# records their daily work creates; only administrators change reference data.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.AGENT: (
        "unmask:customers.customer",
        "view:parties.*",
        "view:customers.*",
        "view:inventory.subscription",
        "view:catalog.productoffering",
        "view:accounts.billingaccount",
        "view:billing.bill",
        "view:billing.payment",
        "add:customers.interaction",
        "add:customers.consent",
        "change:customers.consent",
        "add:customers.donotcallentry",
        "change:parties.contactmedium",
        "add:parties.contactmedium",
        "view:campaigns.campaign",
        "view:campaigns.campaignmember",
        "add:campaigns.contactattempt",
        "change:campaigns.contactattempt",
        "add:campaigns.contactsuppression",
        "add:campaigns.referral",
        "view:campaigns.retentiontask",
        "change:campaigns.retentiontask",
    ),
    Role.OUTLET_STAFF: (
        "unmask:customers.customer",
        "view:parties.*",
        "view:customers.*",
        "view:inventory.subscription",
        "view:catalog.productoffering",
        "view:accounts.billingaccount",
        "view:billing.*",
        "add:parties.*",
        "change:parties.*",
        "add:customers.customer",
        "add:customers.interaction",
        "add:customers.consent",
        "change:customers.consent",
        "add:inventory.subscription",
    ),
    Role.ACCOUNT_MANAGER: (
        "unmask:customers.customer",
        "view:parties.*",
        "view:customers.*",
        "view:accounts.*",
        "view:inventory.*",
        "view:catalog.*",
        "view:billing.*",
        "change:customers.customer",
        "add:customers.interaction",
        "change:customers.interaction",
        "add:customers.consent",
        "change:customers.consent",
        "add:parties.contactmedium",
        "change:parties.contactmedium",
        "add:accounts.accountteammember",
        "change:accounts.accountteammember",
        "view:analytics.customerscore",
        "view:analytics.fraudflag",
        "view:campaigns.campaign",
        "add:campaigns.contactsuppression",
        "add:campaigns.referral",
        "view:campaigns.retentiontask",
        "change:campaigns.retentiontask",
    ),
    Role.MARKETER: (
        "view:customers.customer",
        "view:customers.consent",
        "view:customers.donotcallentry",
        "view:catalog.*",
        "view:inventory.subscription",
        "view:analytics.customerscore",
        "view:campaigns.*",
        "add:campaigns.campaign",
        "change:campaigns.campaign",
    ),
    Role.ANALYST: tuple(f"view:{app}.*" for app in DOMAIN_APPS if app != "users"),
    Role.SUPERVISOR: (
        *(f"view:{app}.*" for app in DOMAIN_APPS),
        "unmask:customers.customer",
        "change:customers.customer",
        "change:customers.interaction",
        "add:customers.donotcallentry",
        "change:customers.donotcallentry",
        "change:users.team",
        "change:campaigns.campaign",
        "change:campaigns.retentiontask",
        "add:campaigns.agentcapacity",
        "change:campaigns.agentcapacity",
    ),
    Role.ADMINISTRATOR: (
        *(f"{action}:{app}.*" for app in DOMAIN_APPS for action in CRUD_ACTIONS),
        "view:auth.group",
    ),
    Role.AUDITOR: tuple(f"view:{app}.*" for app in DOMAIN_APPS),
}


def _matches(perm: Permission, pattern: str) -> bool:
    action, _, target = pattern.partition(":")
    app_label, _, model = target.partition(".")
    return (
        perm.content_type.app_label == app_label
        and perm.codename.startswith(f"{action}_")
        and (model == "*" or perm.content_type.model == model)
    )


def role_permissions(role: str, candidates: list[Permission]) -> list[Permission]:
    """The permissions granted to ``role`` out of ``candidates``."""
    patterns = ROLE_PERMISSIONS[role]
    return [p for p in candidates if any(_matches(p, pat) for pat in patterns)]


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create (or repair) one Group per Role with exactly its permissions.

    Idempotent: run on every ``migrate``; returns the permission count per group.
    """
    candidates = list(
        Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=(*DOMAIN_APPS, "auth")
        )
    )
    counts: dict[str, int] = {}
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        granted = role_permissions(role.value, candidates)
        group.permissions.set(granted)
        counts[role.value] = len(granted)
    return counts


def demo_administrator_ensure(*, username: str, password: str) -> User:
    """Create or reset the demo's administrator (superuser, administrator role)."""
    user, _created = User.objects.get_or_create(
        username=username, defaults={"role": Role.ADMINISTRATOR}
    )
    user.role = Role.ADMINISTRATOR
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=Role.ADMINISTRATOR.value)[0])
    return user


ADMIN_SITE_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})


class UserAddError(ValueError):
    """A refused ``user_add``: the message says what to fix."""


def _role_checked(role: str) -> str:
    if role not in Role.values:
        raise UserAddError(f"Unknown role {role!r}; one of: {', '.join(Role.values)}.")
    return role


def _password_checked(password: str, user: User) -> str:
    try:
        validate_password(password, user=user)
    except ValidationError as weak:
        raise UserAddError("Password refused: " + " ".join(weak.messages)) from None
    return password


def _managed_assign(user: User, manager_of: str) -> None:
    """Make ``user`` the manager of a group (root node number) or of one customer."""
    # Imported here: the users app sits below accounts and customers.
    from telcrm.accounts.models import GroupNode
    from telcrm.accounts.services import NotAGroupRoot, group_assign_account_manager
    from telcrm.customers.models import Customer

    group = GroupNode.objects.filter(node_number=manager_of).first()
    if group is not None:
        try:
            group_assign_account_manager(root=group, manager=user, by=None)
        except NotAGroupRoot as not_root:
            raise UserAddError(f"{not_root}: give the group's top node.") from None
        return
    customer = Customer.objects.filter(customer_number=manager_of).first()
    if customer is None:
        raise UserAddError(
            f"No group node or customer numbered {manager_of!r} to manage."
        )
    customer.account_manager = user
    customer.save(update_fields=["account_manager", "updated"])


@transaction.atomic
def user_add(
    *, username: str, role: str, password: str, manager_of: str | None = None
) -> User:
    """Create a member of staff with a role, a checked password and what they manage.

    Raises ``UserAddError`` (nothing is saved) for an unknown role, a taken user name,
    a password Django's validators refuse, or an unknown group or customer.
    """
    _role_checked(role)
    if User.objects.filter(username=username).exists():
        raise UserAddError(f"User {username!r} already exists.")
    # The admin site is for those who keep or check the system, not for daily work.
    user = User(username=username, role=role, is_staff=role in ADMIN_SITE_ROLES)
    user.set_password(_password_checked(password, user))
    user.save()
    if manager_of:
        _managed_assign(user, manager_of)
    return user
