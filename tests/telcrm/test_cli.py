"""The console command works before any configuration exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_telcrm(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELCRM_HOME": str(home)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Each home its own embedded database, never a server the suite runs against.
    env.pop("DATABASE_URL", None)
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


def test_import_prints_its_accounting_as_json_and_refuses_a_wrong_encoding(
    tmp_path: Path,
) -> None:
    from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

    generate_operator(
        GeneratorConfig(out=tmp_path / "op", customers=50, months=1, seed=2)
    )
    home = tmp_path / "home"
    assert run_telcrm("setup", home=home).returncode == 0

    refused = run_telcrm(
        "import", str(tmp_path / "op/silos"), "--encoding", "utf-16", home=home
    )
    imported = run_telcrm("import", str(tmp_path / "op"), "--json", home=home)

    assert refused.returncode != 0
    assert "Nothing was imported: " in refused.stderr
    assert "crm/staff.csv: not readable as UTF-16" in refused.stderr
    assert imported.returncode == 0, imported.stderr
    accounting = json.loads(imported.stdout)
    assert accounting["run"] == 1  # the refused call left no run in the ledger
    assert accounting["files"][0] == {
        "path": str(tmp_path / "op/silos/crm/staff.csv"),
        "kind": "staff",
        "read": 30,
        "loaded": 30,
        "quarantined": 0,
        "duplicates": 0,
    }
    assert sum(item["kind"] == "cdr" for item in accounting["files"]) == 30


def test_import_refuses_an_unknown_encoding_and_an_unknown_kind(
    tmp_path: Path,
) -> None:
    (tmp_path / "silos/crm").mkdir(parents=True)
    (tmp_path / "silos/crm/staff.csv").write_text("staff_no\n", encoding="utf-8")
    home = tmp_path / "h"
    encoding = run_telcrm(
        "import", str(tmp_path / "silos"), "--encoding", "klingon", home=home
    )
    kind = run_telcrm(
        "import", "--kind", "tribbles", str(tmp_path / "silos/crm/staff.csv"),
        home=home,
    )  # fmt: skip

    assert encoding.returncode != 0
    assert "Nothing was imported: unknown encoding 'klingon'" in encoding.stderr
    assert kind.returncode != 0
    assert "Unknown kind 'tribbles'; one of: staff, offers," in kind.stderr


def test_the_model_commands_are_registered(tmp_path: Path) -> None:
    clv = run_telcrm("clv", "fit", "--help", home=tmp_path / "home")
    churn = run_telcrm("churn", "evaluate", "--help", home=tmp_path / "home")

    assert clv.returncode == 0, clv.stderr
    assert "--calibration-end" in clv.stdout
    assert churn.returncode == 0, churn.stderr
    assert "--target" in churn.stdout


def test_user_add_reads_the_password_file_and_explains_refusals(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert run_telcrm("migrate", "--verbosity", "0", home=home).returncode == 0
    strong = tmp_path / "strong"
    strong.write_text("plum harbour seventeen lanterns\nignored\n", encoding="utf-8")
    weak = tmp_path / "weak"
    weak.write_text("short\n", encoding="utf-8")

    added = run_telcrm(
        "user",
        "add",
        "li",
        "--role",
        "agent",
        "--password-file",
        str(strong),
        home=home,
    )
    unknown_role = run_telcrm(
        "user", "add", "wang", "--role", "janitor", "--password-file", str(strong),
        home=home,
    )  # fmt: skip
    weak_password = run_telcrm(
        "user", "add", "wang", "--role", "agent", "--password-file", str(weak),
        home=home,
    )  # fmt: skip
    unknown_group = run_telcrm(
        "user", "add", "wang", "--role", "account_manager", "--password-file",
        str(strong), "--manager-of", "G404", home=home,
    )  # fmt: skip

    assert (added.returncode, added.stdout) == (0, "Added li (agent).\n")
    assert unknown_role.returncode == 1
    assert "Error: Unknown role 'janitor'" in unknown_role.stderr
    assert weak_password.returncode == 1
    assert "Error: Password refused:" in weak_password.stderr
    assert unknown_group.returncode == 1
    assert "Error: No group node or customer numbered 'G404'" in unknown_group.stderr
