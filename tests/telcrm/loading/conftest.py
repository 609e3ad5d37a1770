"""A small generated operator, written once per test session, for the loader tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

SMALL_OPERATOR = {"customers": 300, "months": 1, "seed": 11}


@pytest.fixture(scope="session")
def generated_silos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("operator")
    generate_operator(GeneratorConfig(out=out, **SMALL_OPERATOR))
    return out / "silos"


@pytest.fixture
def silos(generated_silos: Path, tmp_path: Path) -> Path:
    """A private copy (without CDRs, which the loader does not read) to corrupt."""
    copy = tmp_path / "silos"
    shutil.copytree(generated_silos, copy, ignore=shutil.ignore_patterns("cdr"))
    return copy
