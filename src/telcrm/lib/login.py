"""Who runs a console command (recorded in ledgers as the operator)."""

from __future__ import annotations

import getpass


def login_name() -> str:
    """The operating-system login name, or "unknown" when there is none (a container
    running under a user id without a passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
