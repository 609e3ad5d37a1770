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


def test_load_refuses_a_file_in_another_encoding_and_writes_nothing(
    tmp_path: Path,
) -> None:
    from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

    generate_operator(
        GeneratorConfig(out=tmp_path / "op", customers=50, months=1, seed=2)
    )
    home = tmp_path / "home"
    assert run_telcrm("setup", home=home).returncode == 0

    result = run_telcrm(
        "load", str(tmp_path / "op/silos"), "--encoding", "utf-16", home=home
    )

    assert result.returncode != 0
    assert "Nothing was loaded: crm/staff.csv: not readable as utf-16" in result.stderr


def test_load_refuses_an_unknown_encoding(tmp_path: Path) -> None:
    (tmp_path / "silos").mkdir()
    result = run_telcrm(
        "load", str(tmp_path / "silos"), "--encoding", "klingon", home=tmp_path / "h"
    )

    assert result.returncode != 0
    assert "Nothing was loaded: unknown encoding 'klingon'" in result.stderr
