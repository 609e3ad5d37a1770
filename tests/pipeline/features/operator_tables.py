"""Hand-made operator tables for the feature tests: rows given as dicts, every column of
``OPERATOR_SCHEMAS`` not given is null."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from telcrm_pipeline.cdr_store import ingest_cdr_files
from telcrm_pipeline.operator_data import OPERATOR_SCHEMAS, OperatorData

CDR_HEADER = (
    "cdr_id,record_type,call_type,caller,callee,start_time,duration_s,bytes,charge,"
    "cell_id,roaming\n"
)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def operator_data(**rows: list[dict[str, Any]]) -> OperatorData:
    """An ``OperatorData`` from rows per table (tables not named are empty)."""
    return OperatorData(
        {
            name: pa.Table.from_pylist(rows.get(name, []), schema=schema)
            for name, schema in OPERATOR_SCHEMAS.items()
        }
    )


def customer(number: str, since: str = "2025-01-01", **extra: Any) -> dict[str, Any]:
    return {
        "customer": number,
        "customer_type": "individual",
        "customer_since": day(since),
        "channel": "app",
        "status": "active",
        "status_date": day(since),
        **extra,
    }


def line(
    service_no: str,
    holder: str,
    *,
    start: str = "2025-01-01",
    end: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "service_no": service_no,
        "customer": holder,
        "account": f"A-{holder}",
        "offer_code": "MPO-50",
        "line_of_business": "mobile_postpaid",
        "offer_kind": "plan",
        "monthly_fee": 50.0,
        "contract_months": 0,
        "start_date": day(start),
        "status": "active" if end is None else "terminated",
        "end_date": day(end) if end else None,
        **extra,
    }


def write_cdr_store(tmp_path: Path, rows: list[str]) -> Path:
    source = tmp_path / "cdr.csv"
    source.write_text(CDR_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    store = tmp_path / "store"
    ingest_cdr_files([source], store)
    return store
