"""The console command works before any configuration exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_telcrm(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELCRM_HOME": str(home)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "telcrm.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_prints_its_version_without_configuration(tmp_path: Path) -> None:
    from telcrm import __version__

    result = run_telcrm("version", home=tmp_path / "home")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"telcrm {__version__}"


def test_it_forwards_unknown_commands_to_django(tmp_path: Path) -> None:
    result = run_telcrm("check", home=tmp_path / "home")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_two_homes_never_share_state(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"

    run_telcrm("check", home=first)
    run_telcrm("check", home=second)

    assert (first / "secret_key").read_text() != (second / "secret_key").read_text()
    assert (first / "field_keys").read_text() != (second / "field_keys").read_text()
