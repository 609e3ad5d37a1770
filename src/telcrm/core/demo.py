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
from telcrm.users.services import demo_administrator_ensure

console = Console()
DEMO_ADMIN_USERNAME = "admin"


def demo_operator_dir(home: Path, *, customers: int, months: int, seed: int) -> Path:
    """One folder per set of parameters, so a changed size never mixes with another."""
    return home / "demo" / f"operator-c{customers}-m{months}-s{seed}"


def demo_admin_password(home: Path) -> str:
    """The demo administrator's password, made once per home and kept there (0600)."""
    path = home / "demo_admin_password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


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
    url = f"http://127.0.0.1:{port}/"
    console.print(
        Panel.fit(
            f"Telco CRM demo is ready at [bold]{url}[/bold]\n"
            f"Log in as [bold]{DEMO_ADMIN_USERNAME}[/bold] "
            f"with password [bold]{password}[/bold]\n"
            f"Home: {home}   Generated operator: {operator}",
            title="telcrm demo",
        )
    )
    if serve:
        serve_app(host="127.0.0.1", port=port, threads=8)
