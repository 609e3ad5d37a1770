"""Consumption-pattern features: exact on a hand-made month, point in time, and the
same on DuckDB and on Spark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from telcrm_pipeline.cdr_store import ingest_cdr_files
from telcrm_pipeline.features import (
    cdr_table,
    customer_month_usage,
    duckdb_backend,
    line_month_usage,
    lines_from_silos,
)
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

# Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 1.5.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

HEADER = "cdr_id,record_type,call_type,caller,callee,start_time,duration_s,bytes,charge,cell_id,roaming\n"  # noqa: E501
A, B, OFFNET = "13800000001", "13800000002", "13999999999"


def write_store(tmp_path: Path, rows: list[str]) -> Path:
    source = tmp_path / "cdr.csv"
    source.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    store = tmp_path / "store"
    ingest_cdr_files([source], store)
    return store


def lines_of(*holders: tuple[str, str, str, str | None]) -> ibis.Table:
    number, customer, start, end = zip(*holders, strict=True)
    return ibis.memtable(
        pa.table(
            {
                "service_no": list(number),
                "customer": list(customer),
                "start_date": [dt.date.fromisoformat(d) for d in start],
                "end_date": [dt.date.fromisoformat(d) if d else None for d in end],
            }
        )
    )


def test_a_month_of_one_customer_is_counted_exactly(tmp_path: Path) -> None:
    store = write_store(
        tmp_path,
        [
            f"1,voice,local,{A},{B},2026-06-01 02:00:00,120,0,0.10,c1,0",
            f"2,voice,international,{A},{OFFNET},2026-06-06 19:00:00,60,0,3.00,c1,1",
            f"3,sms,p2p,{A},{B},2026-06-06 20:00:00,0,0,0.10,c1,0",
            f"4,data,data,{A},cmnet,2026-06-10 12:00:00,600,{3 * 2**20},0.00,c1,0",
            f"5,voice,local,{B},{A},2026-06-11 09:00:00,300,0,0.00,c2,0",
        ],
    )
    con = duckdb_backend()
    lines = lines_of((A, "C1", "2025-01-01", None), (B, "C2", "2025-01-01", None))

    result = con.execute(
        customer_month_usage(line_month_usage(cdr_table(con, store)), lines)
    ).set_index("customer")

    one = result.loc["C1"]
    assert (one.voice_calls, one.sms_sent, one.data_sessions) == (2, 1, 1)
    assert one.voice_minutes == pytest.approx(3.0)
    assert one.international_minutes == pytest.approx(1.0)
    assert one.data_mb == pytest.approx(3.0)
    assert one.usage_charge == pytest.approx(3.2)
    assert (one.voice_calls_in, one.voice_minutes_in) == (1, pytest.approx(5.0))
    assert (one.contact_events, one.night_events, one.evening_events) == (3, 1, 2)
    assert one.weekend_events == 2  # 2026-06-06 is a Saturday
    assert (one.roaming_events, one.distinct_contacts, one.active_days) == (1, 2, 3)
    assert one.night_share == pytest.approx(1 / 3)
    assert result.loc["C2"].sms_received == 1


def test_only_the_operators_numbers_get_outgoing_rows(tmp_path: Path) -> None:
    store = write_store(
        tmp_path,
        [
            f"1,voice,local,{A},{B},2026-06-01 02:00:00,120,0,0.10,c1,0",
            f"2,voice,local,{OFFNET},{A},2026-06-02 10:00:00,60,0,0.00,c1,0",
            f"3,voice,local,{A},{B},2026-06-30 23:59:59,30,0,0.10,c1,0",
        ],
    )
    con = duckdb_backend()
    numbers = ibis.memtable(pa.table({"service_no": [A, B]}))

    everyone = con.execute(line_month_usage(cdr_table(con, store))).set_index(
        "service_no"
    )
    ours = con.execute(line_month_usage(cdr_table(con, store), numbers)).set_index(
        "service_no"
    )

    assert set(everyone.index) == {A, B, OFFNET}
    assert set(ours.index) == {A, B}
    pd.testing.assert_frame_equal(ours.loc[[A, B]], everyone.loc[[A, B]])
    # Days 1 and 30 as bits: the first and the last day of June both count.
    assert ours.loc[A].active_days == 2
    assert ours.loc[A].voice_minutes == pytest.approx(2.5)
    assert ours.loc[A].voice_calls_in == 1


def test_trends_look_back_only(tmp_path: Path) -> None:
    rows = [
        f"{n},voice,local,{A},{B},2026-0{month}-15 10:00:00,{60 * minutes},0,0.00,c,0"
        for n, (month, minutes) in enumerate(
            [(1, 10), (2, 20), (3, 30), (4, 40), (5, 100)], start=1
        )
    ]
    store = write_store(tmp_path, rows)
    con = duckdb_backend()
    lines = lines_of((A, "C1", "2025-01-01", None))

    result = con.execute(
        customer_month_usage(line_month_usage(cdr_table(con, store)), lines)
    ).sort_values("month")

    may = result.iloc[-1]
    assert may.voice_minutes_prev3_mean == pytest.approx(30.0)  # Feb, Mar, Apr
    assert may.voice_minutes_trend == pytest.approx((100 - 30) / 30)
    april = result.iloc[-2]
    assert april.voice_minutes_prev3_mean == pytest.approx(20.0)  # no May in it
    assert result.iloc[0].voice_minutes_trend == 0.0


def test_a_number_counts_for_whoever_held_it_that_month(tmp_path: Path) -> None:
    store = write_store(
        tmp_path,
        [
            f"1,voice,local,{A},{B},2026-05-10 10:00:00,60,0,0.00,c,0",
            f"2,voice,local,{A},{B},2026-06-10 10:00:00,60,0,0.00,c,0",
        ],
    )
    con = duckdb_backend()
    lines = lines_of(
        (A, "OLD", "2025-01-01", "2026-05-20"), (A, "NEW", "2026-06-01", None)
    )

    result = con.execute(
        customer_month_usage(line_month_usage(cdr_table(con, store)), lines)
    )

    assert sorted(zip(result.customer, result.month.dt.month, strict=True)) == [
        ("NEW", 6),
        ("OLD", 5),
    ]


@pytest.fixture(scope="module")
def small_operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("features-operator")
    generate_operator(GeneratorConfig(out=out, customers=120, months=4, seed=3))
    ingest_cdr_files(sorted((out / "silos/cdr").glob("*/*.csv")), out / "store")
    return out


def features_on(con: object, operator: Path) -> pd.DataFrame:
    lines = ibis.memtable(lines_from_silos(operator / "silos"))
    expression = customer_month_usage(
        line_month_usage(cdr_table(con, operator / "store")), lines
    )
    frame = con.execute(expression)  # type: ignore[attr-defined]
    return frame.sort_values(["customer", "month"]).reset_index(drop=True)


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_features(
    small_operator: Path, spark: object
) -> None:
    on_duckdb = features_on(duckdb_backend(), small_operator)
    on_spark = features_on(spark, small_operator)[on_duckdb.columns]

    assert len(on_duckdb) > 300
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, rtol=1e-9)
