"""Fraud flags: each rule on hand-made CDRs (fires on its pattern, quiet on a heavy
but normal user), the evaluation's arithmetic, the figures on the generated operator,
and the same flags on DuckDB and on Spark."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from telcrm_pipeline.features import cdr_table, duckdb_backend
from telcrm_pipeline.operator_data import OPERATOR_SCHEMAS, OperatorData
from telcrm_pipeline.risk import evaluate_fraud, fraud_flags
from telcrm_pipeline.sample import SampleOperator

# Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 1.5.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

CDR_SCHEMA = pa.schema(
    [
        ("cdr_id", pa.int64()),
        ("record_type", pa.string()),
        ("call_type", pa.string()),
        ("caller", pa.string()),
        ("callee", pa.string()),
        ("start_time", pa.timestamp("us")),
        ("duration_s", pa.int32()),
        ("bytes", pa.int64()),
        ("charge", pa.decimal128(12, 2)),
        ("cell_id", pa.string()),
        ("roaming", pa.bool_()),
    ]
)
LINE = "13800000001"
FRIEND = "13800000099"
FIRST_DAY = dt.date(2026, 6, 1)


@dataclass
class Cdrs:
    """Hand-made CDRs, one ``add`` per group of identical records."""

    rows: list[dict[str, Any]]

    def add(
        self,
        day: int,
        count: int,
        *,
        record_type: str = "voice",
        call_type: str = "local",
        caller: str = LINE,
        callee: str | None = None,
        seconds: int = 60,
        charge: str = "0.00",
    ) -> None:
        """``count`` records on day ``day`` (0 = 2026-06-01), one minute apart;
        without ``callee`` each goes to a different number."""
        start = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=day), dt.time(8))
        for i in range(count):
            self.rows.append(
                {
                    "cdr_id": len(self.rows) + 1,
                    "record_type": record_type,
                    "call_type": call_type,
                    "caller": caller,
                    "callee": callee or f"139{day:04d}{i:04d}",
                    "start_time": start + dt.timedelta(minutes=i),
                    "duration_s": seconds,
                    "bytes": 2_000_000 if record_type == "data" else 0,
                    "charge": Decimal(charge),
                    "cell_id": "c1",
                    "roaming": False,
                }
            )

    def table(self) -> ir.Table:
        return ibis.memtable(pa.Table.from_pylist(self.rows, schema=CDR_SCHEMA))


def operator_with_line(line_of_business: str, opened: dt.date) -> OperatorData:
    """One customer holding ``LINE``; every other table empty."""
    tables = {name: schema.empty_table() for name, schema in OPERATOR_SCHEMAS.items()}
    tables["lines"] = pa.Table.from_pylist(
        [
            {
                "service_no": LINE,
                "customer": "C1",
                "account": "A1",
                "offer_code": "X",
                "line_of_business": line_of_business,
                "offer_kind": "plan",
                "monthly_fee": 18.0,
                "contract_months": 0,
                "start_date": opened,
                "contract_end": None,
                "status": "active",
                "end_date": None,
            }
        ],
        schema=OPERATOR_SCHEMAS["lines"],
    )
    return OperatorData(tables)


def flags_of(cdrs: Cdrs, data: OperatorData) -> pd.DataFrame:
    return fraud_flags(duckdb_backend(), cdrs.table(), data)


def rows_of(flags: pd.DataFrame) -> list[dict[str, Any]]:
    return list(flags.to_dict("records"))


def sim_box_days(cdrs: Cdrs) -> None:
    """Days 1 and 2: 120 calls of 20 s a day, each to a new number, nothing else."""
    for day in (1, 2):
        cdrs.add(day, 120, seconds=20, charge="0.10")


def test_sim_box_fires_on_a_new_prepaid_line_calling_strangers() -> None:
    cdrs = Cdrs([])
    sim_box_days(cdrs)
    cdrs.add(2, 3, caller=FRIEND, callee=LINE)  # someone calls back: 3 of 120
    flags = flags_of(cdrs, operator_with_line("mobile_prepaid", FIRST_DAY))
    assert rows_of(flags) == [
        {
            "service_no": LINE,
            "customer": "C1",
            "rule": "sim_box",
            "first_day": dt.date(2026, 6, 2),
            "last_day": dt.date(2026, 6, 3),
            "score": 1.2,
            "evidence": "240 outgoing calls to 240 numbers in 2 days (mean 20 s), "
            "3 incoming, no SMS or data, on a prepaid line opened 1 day before: "
            "SIM-box pattern",
        }
    ]


def test_sim_box_needs_a_new_prepaid_line() -> None:
    cdrs = Cdrs([])
    sim_box_days(cdrs)
    old_prepaid = operator_with_line("mobile_prepaid", dt.date(2025, 1, 1))
    new_postpaid = operator_with_line("mobile_postpaid", FIRST_DAY)
    assert flags_of(cdrs, old_prepaid).empty
    assert flags_of(cdrs, new_postpaid).empty


def test_a_heavy_caller_who_also_receives_calls_and_uses_data_is_no_sim_box() -> None:
    cdrs = Cdrs([])
    for day in range(1, 6):
        cdrs.add(day, 150, seconds=30)  # a salesperson's cold calls
        cdrs.add(day, 40, caller=FRIEND, callee=LINE)  # customers call back
        cdrs.add(day, 5, record_type="data", call_type="data")
    assert flags_of(cdrs, operator_with_line("mobile_prepaid", FIRST_DAY)).empty


def test_an_international_burst_fires_against_the_line_s_own_days() -> None:
    cdrs = Cdrs([])
    for day in range(30):  # one five-minute call home a day, 8 yuan a minute
        cdrs.add(day, 1, call_type="international", callee=FRIEND, seconds=300,
                 charge="40.00")  # fmt: skip
    cdrs.add(30, 12, call_type="international", seconds=900, charge="120.00")
    flags = flags_of(cdrs, operator_with_line("mobile_postpaid", dt.date(2025, 1, 1)))
    # Median 5 min, MAD 0 (floored at 5 min): z = (180 - 5) / 5 = 35. The day costs
    # 1,440 yuan against a 40-yuan level: 36 times.
    assert rows_of(flags) == [
        {
            "service_no": LINE,
            "customer": "C1",
            "rule": "international_burst",
            "first_day": dt.date(2026, 7, 1),
            "last_day": dt.date(2026, 7, 1),
            "score": 35.0,
            "evidence": "12 international calls, 180 minutes in 1 day, against a "
            "usual 5.0 minutes a day (robust z up to 35): international burst",
        },
        {
            "service_no": LINE,
            "customer": "C1",
            "rule": "spend_spike",
            "first_day": dt.date(2026, 7, 1),
            "last_day": dt.date(2026, 7, 1),
            "score": 36.0,
            "evidence": "1440.00 yuan charged in 1 day, up to 36 times its usual "
            "daily charge: spend spike",
        },
    ]


def test_a_heavy_international_caller_with_a_busy_day_stays_quiet() -> None:
    cdrs = Cdrs([])
    for day in range(30):  # 30 or 90 minutes a day in six calls, 2 yuan a minute
        minutes = 30 if day % 2 else 90
        cdrs.add(day, 6, call_type="international", callee=FRIEND,
                 seconds=minutes * 10, charge=f"{minutes / 3:.2f}")  # fmt: skip
    # 150 minutes in 12 calls: median 90, MAD 60, z = 60 / 89 = 0.7; 300 yuan.
    cdrs.add(30, 12, call_type="international", seconds=750, charge="25.00")
    assert flags_of(cdrs, operator_with_line("mobile_postpaid", FIRST_DAY)).empty


def test_a_spend_spike_is_judged_against_the_line_s_previous_days() -> None:
    cdrs = Cdrs([])
    for day in range(28):
        cdrs.add(day, 2, record_type="data", call_type="data", charge="1.00")
    cdrs.add(28, 1, record_type="data", call_type="data", charge="600.00")
    flags = flags_of(cdrs, operator_with_line("mobile_postpaid", FIRST_DAY))
    # 2 yuan a day before, floored at 5: 600 / 5 = 120 times.
    assert rows_of(flags) == [
        {
            "service_no": LINE,
            "customer": "C1",
            "rule": "spend_spike",
            "first_day": dt.date(2026, 6, 29),
            "last_day": dt.date(2026, 6, 29),
            "score": 120.0,
            "evidence": "600.00 yuan charged in 1 day, up to 120 times its usual "
            "daily charge: spend spike",
        }
    ]


def test_a_big_day_of_a_big_spender_is_no_spike() -> None:
    cdrs = Cdrs([])
    for day in range(28):
        cdrs.add(day, 1, record_type="data", call_type="data", charge="60.00")
    cdrs.add(28, 1, record_type="data", call_type="data", charge="550.00")  # 9.2 x
    assert flags_of(cdrs, operator_with_line("mobile_postpaid", FIRST_DAY)).empty


def test_evaluate_fraud_counts_lines_overall_and_per_pattern() -> None:
    flags = pd.DataFrame(
        {
            "service_no": ["A", "B", "B", "C", "D"],
            "rule": [
                "sim_box",
                "international_burst",
                "spend_spike",
                "spend_spike",
                "sim_box",
            ],
        }
    )
    truth = pd.DataFrame(
        {
            "service_no": ["A", "B", "C", "E"],
            "pattern": [
                "sim_box",
                "international_burst",
                "international_burst",
                "sim_box",
            ],
        }
    )
    assert evaluate_fraud(flags, truth) == {
        "flagged_lines": 4,
        "truth_lines": 4,
        "true_positive_lines": 3,
        "false_positive_lines": 1,
        "precision": 0.75,
        "recall": 0.75,
        "flags_per_rule": {"sim_box": 2, "international_burst": 1, "spend_spike": 2},
        "per_pattern": {
            "sim_box": {
                "truth_lines": 2,
                "found": 1,
                "recall": 0.5,
                "flagged_lines": 2,
                "precision": 0.5,
            },
            "international_burst": {
                "truth_lines": 2,
                "found": 2,
                "recall": 1.0,
                "flagged_lines": 2,
                "precision": 1.0,
            },
        },
    }


def generated_flags(con: Any, operator: SampleOperator) -> pd.DataFrame:
    return fraud_flags(con, cdr_table(con, operator.store), operator.data)


def test_the_generated_operator_s_fraud_is_found_with_no_false_alarm(
    generated_operator: SampleOperator,
) -> None:
    flags = generated_flags(duckdb_backend(), generated_operator)
    truth = generated_operator.truth("fraud")
    result = evaluate_fraud(flags, truth)
    # Measured on seed 5 (docs/fraud-and-bad-debt.md): every case, nothing else.
    assert (result["precision"], result["recall"]) == (1.0, 1.0)
    assert result["flags_per_rule"] == {
        "sim_box": 3,
        "international_burst": 3,
        "spend_spike": 3,
    }
    # The flagged days are the days each case ran, and the holder its customer.
    found = flags[flags.rule != "spend_spike"].set_index("service_no")
    for case in truth.itertuples(index=False):
        flag = found.loc[case.service_no]
        assert (flag.rule, flag.customer) == (case.pattern, case.cust_no)
        assert str(flag.first_day) == case.start_date
        assert str(flag.last_day) == case.end_date


@pytest.mark.spark
def test_fraud_flags_are_the_same_on_duckdb_and_spark(
    generated_operator: SampleOperator, spark: Any
) -> None:
    on_duckdb = generated_flags(duckdb_backend(), generated_operator)
    on_spark = generated_flags(spark, generated_operator)
    assert len(on_duckdb) == 9
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
