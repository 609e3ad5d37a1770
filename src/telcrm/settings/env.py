"""Tiny helpers that read deployment settings from the environment.

Secrets can come from ``NAME_FILE`` (a path, e.g. a Docker or systemd secret) or from
``NAME`` itself; the file wins so that a secret never has to sit in the environment.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """Return the secret from ``NAME_FILE`` or ``NAME``, or None when neither is set."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name) or None


def telcrm_home() -> Path:
    """The directory that holds all local state; two homes never share anything."""
    home = Path(os.environ.get("TELCRM_HOME", "var")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def new_token(nbytes: int = 50) -> str:
    return secrets.token_urlsafe(nbytes)


def new_field_keyring() -> str:
    """A one-key keyring for personal data at rest: ``kid:base64(32 random bytes)``."""
    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def persistent_secret(home: Path, filename: str, make: Callable[[], str]) -> str:
    """Read a secret kept in the home directory, creating it on first use.

    Only the embedded (single-machine) configuration uses this, so that the product
    works before any configuration exists; production settings require real secrets.
    """
    path = home / filename
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(make(), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
