"""A generated operator made ready for the pipeline: its silos, ground truth, CDR store
and operator tables in one place (tests, benchmarks and the model figures use it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from telcrm_pipeline.cdr_store import ingest_cdr_files
from telcrm_pipeline.operator_data import OperatorData, operator_data_from_silos
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator


@dataclass(frozen=True)
class SampleOperator:
    """``root/silos``, ``root/truth``, the CDR store ``root/store`` and the tables."""

    root: Path
    data: OperatorData

    @property
    def silos(self) -> Path:
        return self.root / "silos"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def truth(self, name: str) -> pd.DataFrame:
        """A ground-truth table (``churn``, ``fraud``, ``defaulters``, ``traits``),
        every column as text."""
        return pd.read_csv(self.root / "truth" / f"{name}.csv", dtype=str)


def sample_operator(
    root: Path, *, customers: int, months: int, seed: int
) -> SampleOperator:
    """Generate an operator into ``root`` and load its CDRs into ``root/store``."""
    generate_operator(
        GeneratorConfig(out=root, customers=customers, months=months, seed=seed)
    )
    ingest_cdr_files(sorted((root / "silos/cdr").glob("*/*.csv")), root / "store")
    return SampleOperator(root, operator_data_from_silos(root / "silos"))
