"""The operator tables read from the silos: typed, complete, and round-tripping."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from telcrm_pipeline.operator_data import OPERATOR_SCHEMAS, OperatorData
from telcrm_pipeline.sample import SampleOperator


def test_every_silo_row_arrives_with_its_customer(
    generated_operator: SampleOperator,
) -> None:
    data = generated_operator.data
    silos = generated_operator.silos

    def rows(relative: str) -> int:
        with open(silos / relative, encoding="utf-8") as file:
            return sum(1 for _ in file) - 1

    assert data["customers"].num_rows == rows("crm/customers.csv")
    assert data["lines"].num_rows == rows("crm/subscriptions.csv")
    assert data["bills"].num_rows == rows("billing/bills.csv")
    assert data["payments"].num_rows == rows("billing/payments.csv")
    assert data["tickets"].num_rows == rows("complaints/tickets.csv")
    for name in ("lines", "bills", "payments", "bill_items", "accounts"):
        assert data[name].column("customer").null_count == 0, name


def test_tables_round_trip_through_parquet(
    generated_operator: SampleOperator, tmp_path: Path
) -> None:
    generated_operator.data.write(tmp_path)

    again = OperatorData.read(tmp_path)

    for name in OPERATOR_SCHEMAS:
        assert again[name].equals(generated_operator.data[name]), name


def test_a_table_of_another_shape_is_refused_by_name() -> None:
    tables = {name: schema.empty_table() for name, schema in OPERATOR_SCHEMAS.items()}
    tables["bills"] = pa.table({"bill_no": pa.array([], pa.string())})

    with pytest.raises(ValueError, match="'bills'"):
        OperatorData(tables)
