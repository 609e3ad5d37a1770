"""Bring a home directory to a usable state: database schema and static files."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def setup_home(*, verbosity: int = 1) -> None:
    """Apply migrations and collect static files; safe to run again at any time."""
    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=0)


def database_ready() -> bool:
    """Whether every migration is applied (else commands say: run telcrm setup)."""
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())
