"""The CDR store: clean ingest, idempotent re-ingest, quarantine and refusal."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from telcrm_pipeline.cdr_store import CdrFileError, CdrFileReport, ingest_cdr_files
from telcrm_pipeline.silo_contract import CDR_COLUMNS

HEADER = ",".join(CDR_COLUMNS)
GOOD = "{id},voice,local,13800000001,1390000000,2026-06-01 08:00:00,60,0,0.50,c-1,0"


def query(sql: str, *params: object) -> list[tuple[object, ...]]:
    """Run one DuckDB query with parameters (file globs) and return its rows."""
    with duckdb.connect() as con:
        return con.execute(sql, list(params)).fetchall()


def data_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def day_of(path: Path) -> str:
    """``cdr_20260601.csv`` -> ``2026-06-01``."""
    stamp = path.stem.removeprefix("cdr_")
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"


def store_files(store: Path) -> list[str]:
    """The store's data files (not the journal's lock file)."""
    return sorted(
        str(p.relative_to(store))
        for p in store.rglob("*")
        if p.is_file() and ".journal" not in p.parts
    )


def assert_accounting(reports: list[CdrFileReport]) -> None:
    for report in reports:
        assert report.read == report.loaded + report.quarantined + report.duplicates


def test_clean_files_load_every_row_typed_by_day(
    cdr_files: list[Path], tmp_path: Path
) -> None:
    reports = ingest_cdr_files(cdr_files, tmp_path)
    assert_accounting(reports)
    assert [r.path for r in reports] == cdr_files
    for report, path in zip(reports, cdr_files, strict=True):
        assert report.read == data_lines(path)
        assert report.loaded == report.read
        assert report.quarantined == 0
        assert report.duplicates == 0
        assert report.days == (day_of(path),)
    assert not (tmp_path / "quarantine").exists()
    glob = str(tmp_path / "cdr" / "*" / "*.parquet")
    types = query("DESCRIBE SELECT * FROM read_parquet(?)", glob)
    assert [(row[0], row[1]) for row in types] == [
        ("cdr_id", "BIGINT"),
        ("record_type", "VARCHAR"),
        ("call_type", "VARCHAR"),
        ("caller", "VARCHAR"),
        ("callee", "VARCHAR"),
        ("start_time", "TIMESTAMP"),
        ("duration_s", "INTEGER"),
        ("bytes", "BIGINT"),
        ("charge", "DECIMAL(12,2)"),
        ("cell_id", "VARCHAR"),
        ("roaming", "BOOLEAN"),
        ("day", "DATE"),
    ]
    per_day = dict(
        query(
            "SELECT strftime(day, '%Y%m%d'), count(*) FROM read_parquet(?) "
            "WHERE CAST(start_time AS DATE) = day GROUP BY ALL",
            glob,
        )
    )
    expected = {path.stem.removeprefix("cdr_"): data_lines(path) for path in cdr_files}
    assert per_day == expected
    distinct = query(
        "SELECT count(DISTINCT cdr_id), count(*) FROM read_parquet(?)", glob
    )
    assert distinct == [(sum(expected.values()), sum(expected.values()))]


def test_reingest_loads_nothing_twice(cdr_files: list[Path], tmp_path: Path) -> None:
    first = ingest_cdr_files(cdr_files[:3], tmp_path)
    files = store_files(tmp_path)
    again = ingest_cdr_files(cdr_files[:3], tmp_path)
    assert_accounting(again)
    for before, after in zip(first, again, strict=True):
        assert after.read == before.read
        assert after.loaded == 0
        assert after.duplicates == before.read
        assert after.quarantined == 0
        assert after.days == ()
    assert store_files(tmp_path) == files
    assert len(files) == 3


def test_each_kind_of_bad_row_is_quarantined_with_line_field_reason(
    tmp_path: Path,
) -> None:
    lines = [
        HEADER,
        GOOD.format(id=1),  # line 2
        GOOD.format(id=2).replace("2026-06-01 08:00:00", "2026-13-01 08:00:00"),
        GOOD.format(id=3).replace(",60,", ",-5,"),
        GOOD.format(id=4).replace(",voice,local,", ",fax,local,"),
        GOOD.format(id=5).rsplit(",", 2)[0],  # line 6: two columns short
        GOOD.format(id=6),
        GOOD.format(id=6).replace(",60,", ",61,"),  # line 8: same key, other values
        GOOD.format(id=7).replace(",0.50,", ",abc,"),
        GOOD.format(id=1),  # line 10: exact repeat of line 2
        GOOD.format(id=8) + ",extra",
        GOOD.format(id=9)[:-1] + "2",  # line 12: roaming 2
        GOOD.format(id=10).replace(",voice,local,", ",sms,local,"),
        GOOD.format(id=11),  # line 14
    ]
    path = tmp_path / "cdr_20260601.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    [report] = ingest_cdr_files([path], store)
    assert report == CdrFileReport(
        path=path, read=13, loaded=3, quarantined=9, duplicates=1, days=("2026-06-01",)
    )
    rows = query(
        "SELECT file, line, field, reason, raw_line FROM read_parquet(?) ORDER BY line",
        f"{store}/quarantine/cdr/*.parquet",
    )
    wrong = "wrong column count: Expected Number of Columns: 11 Found: "
    assert [row[1:4] for row in rows] == [
        (3, "start_time", "not a timestamp"),
        (4, "duration_s", "negative"),
        (5, "record_type", "unknown record_type"),
        (6, "(line)", wrong + "9"),
        (8, "cdr_id", "duplicate cdr_id with different values (first at line 7)"),
        (9, "charge", "not a number"),
        (11, "(line)", wrong + "12"),
        (12, "roaming", "not 0 or 1"),
        (13, "call_type", "call_type not allowed for this record_type"),
    ]
    assert {row[0] for row in rows} == {str(path)}
    assert [row[4] for row in rows] == [lines[row[1] - 1] for row in rows]
    loaded = query(
        "SELECT list(cdr_id ORDER BY cdr_id) FROM read_parquet(?)",
        f"{store}/cdr/*/*.parquet",
    )
    assert loaded == [([1, 6, 11],)]


def test_undecodable_bytes_are_quarantined_in_a_gbk_file(tmp_path: Path) -> None:
    path = tmp_path / "cdr_20260601.csv"
    body = (HEADER + "\n" + GOOD.format(id=1) + "\n").encode("gbk")
    body += GOOD.format(id=2).replace(",c-1,", ",zzzz,").encode("gbk")
    body = body.replace(b"zzzz", b"z\xffzz") + b"\n"
    path.write_bytes(body)
    [report] = ingest_cdr_files([path], tmp_path / "store", encoding="gbk")
    assert report == CdrFileReport(
        path=path, read=2, loaded=1, quarantined=1, duplicates=0, days=("2026-06-01",)
    )
    rows = query(
        "SELECT line, field, reason FROM read_parquet(?)",
        f"{tmp_path}/store/quarantine/cdr/*.parquet",
    )
    assert rows == [(3, "cell_id", "undecodable bytes")]


def test_a_file_with_the_wrong_header_is_refused_before_anything_is_written(
    cdr_files: list[Path], tmp_path: Path
) -> None:
    wrong = tmp_path / "customers.csv"
    wrong.write_text("cust_no,name\n1,Li\n", encoding="utf-8")
    store = tmp_path / "store"
    with pytest.raises(CdrFileError) as caught:
        ingest_cdr_files([cdr_files[0], wrong], store)
    assert str(caught.value) == (
        f"{wrong}: not a CDR file (header 'cust_no,name', expected '{HEADER}')"
    )
    assert not store.exists()


def test_a_repeated_line_in_a_generated_file_is_skipped_as_a_duplicate(
    cdr_files: list[Path], tmp_path: Path
) -> None:
    source = cdr_files[0]
    text = source.read_text(encoding="utf-8")
    second_line = text.splitlines()[1]
    path = tmp_path / source.name
    path.write_text(text + second_line + "\n", encoding="utf-8")
    store = tmp_path / "store"
    [report] = ingest_cdr_files([path], store)
    rows = data_lines(source)
    assert report == CdrFileReport(
        path=path,
        read=rows + 1,
        loaded=rows,
        quarantined=0,
        duplicates=1,
        days=(day_of(source),),
    )
    assert not (store / "quarantine").exists()
    clean = ingest_cdr_files([source], tmp_path / "clean")
    assert clean[0].loaded == rows
    assert (
        query(
            "SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM read_parquet(?)",
            f"{store}/cdr/*/*.parquet",
            f"{tmp_path}/clean/cdr/*/*.parquet",
        )
        == []
    )


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "cdr_20260601.csv"
    text = HEADER + "\n" + GOOD.format(id=1) + "\n" + GOOD.format(id=2) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    [report] = ingest_cdr_files([path], tmp_path / "store")
    assert report == CdrFileReport(
        path=path, read=2, loaded=2, quarantined=0, duplicates=0, days=("2026-06-01",)
    )


def test_undecodable_bytes_are_quarantined_in_a_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "cdr_20260601.csv"
    good = (HEADER + "\n" + GOOD.format(id=1) + "\n").encode("utf-8")
    broken = GOOD.format(id=2).replace(",c-1,", ",c\xff1,").encode("latin-1")
    path.write_bytes(good + broken + b"\n" + GOOD.format(id=3).encode() + b"\n")
    [report] = ingest_cdr_files([path], tmp_path / "store")
    assert report == CdrFileReport(
        path=path, read=3, loaded=2, quarantined=1, duplicates=0, days=("2026-06-01",)
    )
    rows = query(
        "SELECT line, field, reason FROM read_parquet(?)",
        f"{tmp_path}/store/quarantine/cdr/*.parquet",
    )
    assert rows == [(3, "cell_id", "undecodable bytes")]


def test_it_leaves_another_runs_scratch_files_alone(tmp_path: Path) -> None:
    store = tmp_path / "store"
    other_run = store / ".work" / "another-run-in-progress"
    other_run.mkdir(parents=True)

    ingest_cdr_files([], store)

    assert other_run.is_dir()


def test_a_repeated_id_is_found_when_ids_are_far_apart(tmp_path: Path) -> None:
    path = tmp_path / "cdr_20260601.csv"
    ids = [5, 10**15, 5]  # too wide a range for one bit per id: count(DISTINCT)
    path.write_text(
        "\n".join([HEADER, *(GOOD.format(id=i) for i in ids)]) + "\n", encoding="utf-8"
    )
    [report] = ingest_cdr_files([path], tmp_path / "store")
    assert report == CdrFileReport(
        path=path, read=3, loaded=2, quarantined=0, duplicates=1, days=("2026-06-01",)
    )


def test_blank_lines_and_a_missing_final_newline_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "cdr_20260601.csv"
    lines = [HEADER, GOOD.format(id=1), "", GOOD.format(id=2)]
    path.write_text("\n".join(lines), encoding="utf-8")
    [report] = ingest_cdr_files([path], tmp_path / "store")
    assert report == CdrFileReport(
        path=path, read=2, loaded=2, quarantined=0, duplicates=0, days=("2026-06-01",)
    )
