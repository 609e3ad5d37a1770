"""`telcrm demo`: a small generated operator, loaded and served, no server needed."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from rich.console import Console
from rich.panel import Panel

from telcrm.core.serve import serve_app
from telcrm.core.setup import setup_home
from telcrm.generate_command import run_generate
from telcrm.imports.command import run_import
from telcrm.linkage.command import run_linkage
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.users.services import demo_administrator_ensure

console = Console()
DEMO_ADMIN_USERNAME = "admin"
# One colleague per role, to try the web app as each of them ("demo_agent", ...).
DEMO_ROLE_USERNAMES = {role: f"demo_{role.value}" for role in Role}
# Customers the demo account manager gets when the operator has no group.
DEMO_MANAGED_CUSTOMERS = 20


def demo_operator_dir(home: Path, *, customers: int, months: int, seed: int) -> Path:
    """One folder per set of parameters, so a changed size never mixes with another."""
    return home / "demo" / f"operator-c{customers}-m{months}-s{seed}"


def demo_admin_password(home: Path) -> str:
    """The demo administrator's password, made once per home and kept there (0600)."""
    return demo_password(home / "demo_admin_password")


def demo_password(path: Path) -> str:
    """A password made once and kept in ``path``, readable by its owner only."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def demo_role_password(home: Path, role: Role) -> str:
    return demo_password(home / f"demo_{role.value}_password")


def demo_colleague_ensure(*, role: Role, password: str) -> User:
    """Create or reset the demo user of ``role`` (administrators use the admin site)."""
    user, _created = User.objects.get_or_create(username=DEMO_ROLE_USERNAMES[role])
    user.role = role
    user.is_active = True
    user.is_staff = role in {Role.ADMINISTRATOR, Role.AUDITOR}
    user.set_password(password)
    user.save()
    return user


def demo_book_assign(manager: User) -> str:
    """Give the demo account manager a real group, else some customers; say which."""
    from telcrm.accounts.models import GroupNode
    from telcrm.accounts.services import group_assign_account_manager
    from telcrm.customers.models import Customer

    group = GroupNode.objects.get_root_nodes().order_by("node_number").first()
    if group is not None:
        group_assign_account_manager(root=group, manager=manager, by=None)
        return f"group {group.node_number}"
    first = Customer.objects.order_by("customer_number")[:DEMO_MANAGED_CUSTOMERS]
    count = Customer.objects.filter(pk__in=first.values("pk")).update(
        account_manager=manager
    )
    return f"{count} customers"


def demo_colleagues_ensure(home: Path) -> list[tuple[User, str, str]]:
    """Every role's demo user: (user, password, what they look after)."""
    colleagues = {
        role: demo_colleague_ensure(role=role, password=demo_role_password(home, role))
        for role in Role
    }
    manager = colleagues[Role.ACCOUNT_MANAGER]
    manager.supervisor = colleagues[Role.SUPERVISOR]
    manager.save(update_fields=["supervisor"])
    notes = {
        Role.ACCOUNT_MANAGER: demo_book_assign(manager),
        Role.SUPERVISOR: f"supervises {manager.username}",
    }
    return [
        (user, demo_role_password(home, role), notes.get(role, ""))
        for role, user in colleagues.items()
    ]


def demo_colleagues_lines(colleagues: list[tuple[User, str, str]]) -> str:
    return "\n".join(
        f"  {user.role:<16} {user.username:<22} {password}  {note}".rstrip()
        for user, password, note in colleagues
    )


def demo_pipeline_run() -> None:
    """Score the demo operator; a history too short for the churn model only warns."""
    from telcrm.analytics.command import run_pipeline_command
    from telcrm_pipeline.run import InsufficientHistory

    try:
        run_pipeline_command(as_json=False)
    except InsufficientHistory as short:
        console.print(f"[yellow]Analytics pipeline skipped:[/yellow] {short}")


def run_demo(*, customers: int, months: int, seed: int, port: int, serve: bool) -> None:
    home: Path = settings.TELCRM_HOME
    operator = demo_operator_dir(home, customers=customers, months=months, seed=seed)
    if not (operator / "silos" / "manifest.json").exists():
        run_generate(
            out=operator,
            customers=customers,
            months=months,
            seed=seed,
            encoding="utf-8",
            start=None,
        )
    setup_home(verbosity=0)
    run_import([operator / "silos"])
    run_linkage()
    demo_pipeline_run()
    password = demo_admin_password(home)
    demo_administrator_ensure(username=DEMO_ADMIN_USERNAME, password=password)
    colleagues = demo_colleagues_ensure(home)
    url = f"http://127.0.0.1:{port}/"
    console.print(
        Panel.fit(
            f"Telco CRM demo is ready at [bold]{url}[/bold]\n"
            f"Log in as [bold]{DEMO_ADMIN_USERNAME}[/bold] "
            f"with password [bold]{password}[/bold]\n"
            "Or as one of each role (role, user, password):\n"
            f"{demo_colleagues_lines(colleagues)}\n"
            f"Home: {home}   Generated operator: {operator}",
            title="telcrm demo",
        )
    )
    if serve:
        serve_app(host="127.0.0.1", port=port)
