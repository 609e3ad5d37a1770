"""Fixtures shared by the analytics pipeline's tests: one generated operator with its
CDR store and operator tables, and a local Spark session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from telcrm_pipeline.features import spark_backend
from telcrm_pipeline.sample import SampleOperator, sample_operator


@pytest.fixture(scope="session")
def generated_operator(tmp_path_factory: pytest.TempPathFactory) -> SampleOperator:
    """1,500 customers over six months (2026-06 to 2026-11), about 2 million CDRs.

    Shared by the whole session: tests must not write into it.
    """
    root = tmp_path_factory.mktemp("generated-operator")
    return sample_operator(root, customers=1500, months=6, seed=5)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """An Ibis backend on Spark in local mode, stopped at the end of the session
    (else py4j logs after pytest closed its streams)."""
    con = spark_backend()
    yield con
    con._session.stop()
