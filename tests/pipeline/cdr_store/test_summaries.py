"""Per-line usage summaries: exact daily and monthly figures on hand-written CDRs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from telcrm_pipeline.cdr_store import (
    CdrFileReport,
    ingest_cdr_files,
    line_month_usage,
    open_store,
    summarise_days,
)
from telcrm_pipeline.silo_contract import CDR_COLUMNS

HEADER = ",".join(CDR_COLUMNS)
A, B, C = "13800000001", "13800000002", "13800000003"
OFFNET, ABROAD = "02188887777", "004420111222"

FIRST = [  # two days: A and B are ours, A active on both
    f"1,voice,local,{A},{B},2026-06-01 08:00:00,60,0,0.50,c-1,0",
    f"2,voice,international,{A},{ABROAD},2026-06-01 09:00:00,120,0,16.00,c-1,0",
    f"3,sms,p2p,{A},{B},2026-06-01 10:00:00,0,0,0.10,c-1,0",
    f"4,voice,local,{OFFNET},{A},2026-06-01 11:00:00,30,0,0.00,c-1,0",  # incoming
    f"5,data,data,{A},cmnet,2026-06-01 12:00:00,300,1048576,0.00,c-1,0",
    f"6,voice,long_distance,{B},{A},2026-06-01 13:00:00,90,0,0.00,c-7,1",  # roaming
    f"7,sms,p2p,{A},{B},2026-06-01 14:00:00,0,0,0.10,c-1,0",
    f"8,sms,p2p,{OFFNET},{A},2026-06-01 15:00:00,0,0,0.00,c-1,0",  # incoming SMS
    f"9,voice,local,{A},{C},2026-06-02 09:30:00,45,0,0.00,c-1,0",
    f"10,data,data,{B},cmnet,2026-06-02 10:00:00,600,2000000,1.20,c-9,1",
]
SECOND = [f"11,sms,p2p,{C},{A},2026-06-02 18:00:00,0,0,0.10,c-3,0"]

COLUMNS = (
    "service_no, day, voice_out_calls, voice_out_seconds, voice_in_calls, "
    "voice_in_seconds, sms_out, sms_in, data_sessions, data_bytes, charge, "
    "international_calls, roaming_events, distinct_contacts, first_event_at, "
    "last_event_at"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def daily(store: Path) -> dict[tuple[str, str], tuple[object, ...]]:
    with open_store(store) as con:
        rows = con.execute(
            f"SELECT {COLUMNS} FROM usage_line_day ORDER BY day, service_no"  # noqa: S608
        ).fetchall()
    return {(str(row[0]), str(row[1])): row[2:] for row in rows}


def test_daily_summaries_count_each_party_of_each_record(tmp_path: Path) -> None:
    store = tmp_path / "store"
    [report] = ingest_cdr_files([write(tmp_path / "a.csv", FIRST)], store)
    assert report.days == ("2026-06-01", "2026-06-02")
    assert summarise_days(store, report.days) == 2

    d = Decimal
    assert daily(store) == {
        # voice out/s, in/s; sms out, in; data n, bytes; charge; intl; roam; contacts
        (A, "2026-06-01"): (
            2, 180, 2, 120, 2, 1, 1, 1048576, d("16.70"), 1, 0, 2,
            at("2026-06-01 08:00:00"), at("2026-06-01 15:00:00"),
        ),
        (ABROAD, "2026-06-01"): (
            0, 0, 1, 120, 0, 0, 0, 0, d("0.00"), 0, 0, 0,
            at("2026-06-01 09:00:00"), at("2026-06-01 09:00:00"),
        ),
        (B, "2026-06-01"): (
            1, 90, 1, 60, 0, 2, 0, 0, d("0.00"), 0, 1, 1,
            at("2026-06-01 08:00:00"), at("2026-06-01 14:00:00"),
        ),
        (OFFNET, "2026-06-01"): (
            1, 30, 0, 0, 1, 0, 0, 0, d("0.00"), 0, 0, 1,
            at("2026-06-01 11:00:00"), at("2026-06-01 15:00:00"),
        ),
        (A, "2026-06-02"): (
            1, 45, 0, 0, 0, 0, 0, 0, d("0.00"), 0, 0, 1,
            at("2026-06-02 09:30:00"), at("2026-06-02 09:30:00"),
        ),
        (B, "2026-06-02"): (
            0, 0, 0, 0, 0, 0, 1, 2000000, d("1.20"), 0, 1, 0,
            at("2026-06-02 10:00:00"), at("2026-06-02 10:00:00"),
        ),
        (C, "2026-06-02"): (
            0, 0, 1, 45, 0, 0, 0, 0, d("0.00"), 0, 0, 0,
            at("2026-06-02 09:30:00"), at("2026-06-02 09:30:00"),
        ),
    }  # fmt: skip
    with open_store(store) as con:
        types = con.execute("DESCRIBE SELECT * FROM usage_line_day").fetchall()
    assert {row[0]: row[1] for row in types}["charge"] == "DECIMAL(12,2)"


def test_a_second_ingest_resummarises_only_the_day_it_touched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    [first] = ingest_cdr_files([write(tmp_path / "a.csv", FIRST)], store)
    summarise_days(store, first.days)
    day_one = store / "usage" / "line_day" / "day=2026-06-01" / "line_day.parquet"
    day_two = store / "usage" / "line_day" / "day=2026-06-02" / "line_day.parquet"
    before = (day_one.stat().st_ino, day_one.stat().st_mtime_ns)
    replaced = day_two.stat().st_ino

    [second] = ingest_cdr_files([write(tmp_path / "b.csv", SECOND)], store)
    assert second == CdrFileReport(
        path=tmp_path / "b.csv",
        read=1,
        loaded=1,
        quarantined=0,
        duplicates=0,
        days=("2026-06-02",),
    )
    assert summarise_days(store, second.days) == 1

    assert (day_one.stat().st_ino, day_one.stat().st_mtime_ns) == before
    assert day_two.stat().st_ino != replaced
    rows = daily(store)
    assert rows[(A, "2026-06-02")][:8] == (1, 45, 0, 0, 0, 1, 0, 0)
    assert rows[(A, "2026-06-02")][-2:] == (
        at("2026-06-02 09:30:00"),
        at("2026-06-02 18:00:00"),
    )
    assert rows[(C, "2026-06-02")][4] == 1  # sms_out
    assert rows[(C, "2026-06-02")][8] == Decimal("0.10")
    assert rows[(C, "2026-06-02")][11] == 1  # contacts: A
    assert summarise_days(store) == 0  # every summary is up to date


def test_summarise_without_days_catches_up_missing_and_stale_days(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    ingest_cdr_files([write(tmp_path / "a.csv", FIRST)], store)
    assert summarise_days(store) == 2
    ingest_cdr_files([write(tmp_path / "b.csv", SECOND)], store)  # not summarised
    assert summarise_days(store) == 1
    assert daily(store)[(A, "2026-06-02")][5] == 1  # sms_in from C
    assert summarise_days(store, []) == 0


def test_monthly_usage_rolls_up_the_days(tmp_path: Path) -> None:
    store = tmp_path / "store"
    reports = ingest_cdr_files(
        [write(tmp_path / "a.csv", FIRST), write(tmp_path / "b.csv", SECOND)], store
    )
    summarise_days(store, sorted({d for r in reports for d in r.days}))
    table = line_month_usage(store, ["2026-06"])
    assert table.column_names == [
        "service_no",
        "period",
        "voice_out_calls",
        "voice_out_seconds",
        "voice_in_calls",
        "voice_in_seconds",
        "sms_out",
        "sms_in",
        "data_sessions",
        "data_bytes",
        "charge",
        "international_calls",
        "roaming_events",
        "distinct_contacts",
        "first_event_at",
        "last_event_at",
        "active_days",
    ]
    rows = {row["service_no"]: row for row in table.to_pylist()}
    assert sorted(rows) == [ABROAD, OFFNET, A, B, C]
    assert rows[A] == {
        "service_no": A,
        "period": "2026-06",
        "voice_out_calls": 3,
        "voice_out_seconds": 225,
        "voice_in_calls": 2,
        "voice_in_seconds": 120,
        "sms_out": 2,
        "sms_in": 2,
        "data_sessions": 1,
        "data_bytes": 1048576,
        "charge": Decimal("16.70"),
        "international_calls": 1,
        "roaming_events": 0,
        "distinct_contacts": 2,  # the largest daily figure (B, abroad on day one)
        "first_event_at": at("2026-06-01 08:00:00"),
        "last_event_at": at("2026-06-02 18:00:00"),
        "active_days": 2,
    }
    assert rows[B]["charge"] == Decimal("1.20")
    assert rows[B]["roaming_events"] == 2
    assert rows[B]["active_days"] == 2
    assert str(table.schema.field("charge").type) == "decimal128(12, 2)"
    assert line_month_usage(store, ["2026-07"]).num_rows == 0
    assert line_month_usage(store).num_rows == 5
