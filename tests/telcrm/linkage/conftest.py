"""A generated operator's silos, loaded once per test into the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

# Enough records for the model to train on (about 1,100), few enough to be quick.
OPERATOR = {"customers": 500, "months": 1, "seed": 21}


@pytest.fixture(scope="session")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("linkage-operator")
    generate_operator(GeneratorConfig(out=out, **OPERATOR))
    return out


@pytest.fixture
def loaded(operator_dir: Path, db: None) -> Path:
    from telcrm.loading.service import silos_load

    silos_load(operator_dir / "silos")
    return operator_dir
