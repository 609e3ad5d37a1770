"""A small generated operator (with CDRs), and a private home per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test.utils import override_settings

from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

SMALL_OPERATOR = {"customers": 300, "months": 1, "seed": 11}


@pytest.fixture(scope="session")
def generated_operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("operator")
    generate_operator(GeneratorConfig(out=out, **SMALL_OPERATOR))
    return out


@pytest.fixture
def silos(generated_operator: Path, tmp_path: Path) -> Path:
    """A private copy of the silos (CDRs of the first three days only) to corrupt."""
    copy = tmp_path / "silos"
    shutil.copytree(
        generated_operator / "silos", copy, ignore=shutil.ignore_patterns("cdr")
    )
    days = sorted((generated_operator / "silos" / "cdr").glob("*/*.csv"))[:3]
    for day in days:
        target = copy / day.relative_to(generated_operator / "silos")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(day, target)
    return copy


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path) -> Iterator[Path]:
    """Each test its own store and import lock (the database is pytest-django's)."""
    home = tmp_path / "home"
    home.mkdir()
    with override_settings(TELCRM_HOME=home, TELCRM_STORE_DIR=home / "store"):
        yield home
