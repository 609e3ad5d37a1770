"""Bring a home directory to a usable state: database schema and static files."""

from __future__ import annotations

from django.core.management import call_command


def setup_home(*, verbosity: int = 1) -> None:
    """Apply migrations and collect static files; safe to run again at any time."""
    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("collectstatic", interactive=False, verbosity=0)
