"""One tiny generated operator per session, whose CDR files the store ingests."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator


@pytest.fixture(scope="session")
def cdr_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The generated operator's CDR files, one per day, in date order."""
    out = tmp_path_factory.mktemp("cdr_operator")
    generate_operator(GeneratorConfig(customers=100, months=1, seed=3, out=out))
    return sorted((out / "silos" / "cdr").glob("*/cdr_*.csv"))
