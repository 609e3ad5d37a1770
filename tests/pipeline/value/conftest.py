"""Hand-made operator tables for the value tests: rows as dicts, the rest null."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pytest

from telcrm_pipeline.operator_data import OPERATOR_SCHEMAS, OperatorData

Rows = Sequence[dict[str, Any]]


def operator_from_rows(**tables: Rows) -> OperatorData:
    """``OperatorData`` with the given rows per table; absent tables are empty and
    absent columns null."""
    unknown = set(tables) - set(OPERATOR_SCHEMAS)
    if unknown:
        raise ValueError(f"no such operator table: {sorted(unknown)}")
    return OperatorData(
        {
            name: pa.Table.from_pylist(list(tables.get(name, [])), schema=schema)
            for name, schema in OPERATOR_SCHEMAS.items()
        }
    )


@pytest.fixture
def make_operator() -> Callable[..., OperatorData]:
    return operator_from_rows
