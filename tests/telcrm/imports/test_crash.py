"""kill -9 at random moments of `telcrm import`, then a re-run: the same end state.

Each trial imports a generated operator (silos and 30 days of CDRs) in a subprocess
with its own home, kills it with SIGKILL after a delay, runs the import again to the
end, and compares a digest of every domain table and store dataset with that of a
clean single run. The delays are drawn from a seeded generator, so the trials are the
same on every run; they spread over the whole import (silo transaction, CDR files,
usage summaries).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TELCRM = [sys.executable, "-m", "telcrm.cli"]
REPO = Path(__file__).resolve().parents[3]
TRIALS = 4


def env_for(home: Path) -> dict[str, str]:
    env = {**os.environ, "TELCRM_HOME": str(home), "COLUMNS": "200"}
    # The subprocesses use the embedded SQLite of their own home.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    return env


def run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env_for(home), cwd=REPO, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def fingerprint(home: Path) -> dict[str, object]:
    result = run([sys.executable, "-m", "tests.telcrm.imports.fingerprint"], home)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def ledger_states(home: Path) -> list[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
        "'telcrm.settings.base'; django.setup();"
        "from telcrm.imports.models import ImportRun;"
        "print(','.join(ImportRun.objects.order_by('id')"
        ".values_list('state', flat=True)))"
    )
    result = run([sys.executable, "-c", code], home)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(",")


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A set-up home (schema and keys) that each trial starts from a copy of."""
    home = tmp_path_factory.mktemp("template-home")
    result = run([*TELCRM, "setup"], home)
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture(scope="module")
def clean(
    template_home: Path,
    generated_operator: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, object], float]:
    """The digest of one clean import, and how long that import took."""
    home = tmp_path_factory.mktemp("clean") / "home"
    shutil.copytree(template_home, home)
    started = time.monotonic()
    result = run([*TELCRM, "import", str(generated_operator / "silos")], home)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return fingerprint(home), took


def test_the_clean_digest_covers_the_data(clean: tuple[dict[str, object], float]):
    digest, _ = clean
    tables = digest["database"]
    store = digest["store"]
    assert isinstance(tables, dict) and isinstance(store, dict)
    assert tables["customers.Customer"][0] > 300  # CRM + broadband-only customers
    assert tables["usage.LineUsageMonth"][0] > 0
    assert store["cdr"][0] > 50_000
    assert store["usage_line_day"][0] > 0


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_killed_import_then_a_rerun_equals_a_clean_run(
    trial: int,
    template_home: Path,
    generated_operator: Path,
    clean: tuple[dict[str, object], float],
    tmp_path: Path,
) -> None:
    digest, took = clean
    # Seeded: the same delays every run, spread from start-up to the end.
    delay = random.Random(1000 + trial).uniform(0.15, 1.0) * took
    home = tmp_path / "trial-home"
    shutil.copytree(template_home, home)
    process = subprocess.Popen(
        [*TELCRM, "import", str(generated_operator / "silos")],
        env=env_for(home), cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)

    rerun = run([*TELCRM, "import", str(generated_operator / "silos")], home)

    assert rerun.returncode == 0, rerun.stderr
    assert fingerprint(home) == digest
    states = ledger_states(home)
    assert states[-1] == "completed"
    # The killed run, if it got as far as the ledger, is marked interrupted.
    assert set(states[:-1]) <= {"interrupted", "completed"}
