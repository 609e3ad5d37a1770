"""The production settings module passes Django's deployment checks."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

TELCRM = [sys.executable, "-m", "telcrm.cli"]


def production_env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "telcrm.settings.production",
        "TELCRM_HOME": str(home),
        "TELCRM_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "TELCRM_FIELD_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "TELCRM_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "TELCRM_ALLOWED_HOSTS": "crm.example.internal",
    }
    env.pop("DATABASE_URL", None)
    return env


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = subprocess.run(
        [*TELCRM, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secrets(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["TELCRM_FIELD_KEYS"]

    result = subprocess.run(
        [*TELCRM, "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "TELCRM_FIELD_KEYS (or TELCRM_FIELD_KEYS_FILE) must be set" in result.stderr
