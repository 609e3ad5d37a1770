"""Crash safety: a run killed at any point leaves the store as if the file never came,
or as if it came whole; the next run ends where one clean run ends."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telcrm_pipeline.cdr_store import (
    CdrFileReport,
    ingest_cdr_files,
    open_store,
    recover_store,
)
from telcrm_pipeline.cdr_store.journal import CRASH_VARIABLE
from telcrm_pipeline.silo_contract import CDR_COLUMNS

INGEST = """
import sys
from pathlib import Path
from telcrm_pipeline.cdr_store import ingest_cdr_files
ingest_cdr_files([Path(p) for p in sys.argv[1:-1]], Path(sys.argv[-1]))
"""
RECOVER = """
import sys
from pathlib import Path
from telcrm_pipeline.cdr_store import recover_store
recover_store(Path(sys.argv[1]))
"""
SEED = 20260601
TRIALS = 8


@pytest.fixture(scope="module")
def batch(
    cdr_files: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Four files of three days each; two of them with broken and repeated lines."""
    out = tmp_path_factory.mktemp("batch")
    files = []
    for number in range(4):
        days = cdr_files[number * 3 : number * 3 + 3]
        lines = [",".join(CDR_COLUMNS)]
        for day in days:
            lines += day.read_text(encoding="utf-8").splitlines()[1:]
        if number % 2:
            lines.append(lines[5])  # an exact repeat: a duplicate
            broken = lines[7].split(",")
            broken[1] = "fax"  # unknown record_type
            lines.append(",".join(broken))
            lines.append("1,2,3")  # wrong column count
        path = out / f"batch_{number}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def snapshot(store: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every stored row (all columns) and every quarantined row, sorted."""
    with open_store(store) as con:
        rows = con.execute("SELECT * FROM cdr ORDER BY ALL").fetchall()
        quarantine = con.execute("SELECT * FROM cdr_quarantine ORDER BY ALL").fetchall()
    return rows, quarantine


def assert_accounting(reports: list[CdrFileReport]) -> None:
    for report in reports:
        assert report.read == report.loaded + report.quarantined + report.duplicates


@pytest.fixture(scope="module")
def clean(
    batch: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The store after one clean run of the batch into a fresh store."""
    store = tmp_path_factory.mktemp("clean") / "store"
    reports = ingest_cdr_files(batch, store)
    assert_accounting(reports)
    assert sum(r.quarantined for r in reports) == 4
    assert sum(r.duplicates for r in reports) == 2
    return snapshot(store)


def run(
    script: str, *args: object, crash_after: int | None = None
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop(CRASH_VARIABLE, None)
    if crash_after is not None:
        env[CRASH_VARIABLE] = str(crash_after)
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def journals(store: Path) -> list[Path]:
    return sorted((store / ".journal").glob("*.json"))


def assert_rerun_ends_like_a_clean_run(
    batch: list[Path],
    store: Path,
    clean: tuple[list[tuple[object, ...]], list[tuple[object, ...]]],
) -> None:
    reports = ingest_cdr_files(batch, store)
    assert_accounting(reports)
    assert [r.read for r in reports] == [
        sum(1 for _ in path.open("rb")) - 1 for path in batch
    ]
    assert journals(store) == []
    assert snapshot(store) == clean


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_run_killed_after_a_random_delay_is_completed_by_the_next_run(
    batch: list[Path],
    clean: tuple[list[tuple[object, ...]], list[tuple[object, ...]]],
    tmp_path: Path,
    trial: int,
) -> None:
    delay = random.Random(SEED).sample(range(150, 650, 5), TRIALS)[trial] / 1000
    store = tmp_path / "store"
    process = run(INGEST, *batch, store)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert_rerun_ends_like_a_clean_run(batch, store, clean)


@pytest.mark.parametrize("moves", [0, 1, 2, 5, 8])
def test_a_run_killed_between_the_journal_and_the_last_rename_is_rolled_forward(
    batch: list[Path],
    clean: tuple[list[tuple[object, ...]], list[tuple[object, ...]]],
    tmp_path: Path,
    moves: int,
) -> None:
    # Moves: file 0 has 3 day files; file 1, 3 days and its quarantine file; ...
    store = tmp_path / "store"
    process = run(INGEST, *batch, store, crash_after=moves)
    assert process.wait() == 137
    assert len(journals(store)) == 1
    assert_rerun_ends_like_a_clean_run(batch, store, clean)


def test_recovery_killed_half_way_is_finished_by_the_next_recovery(
    batch: list[Path],
    clean: tuple[list[tuple[object, ...]], list[tuple[object, ...]]],
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    assert run(INGEST, *batch, store, crash_after=4).wait() == 137
    # File 1's journal: 4 moves, 1 done; recovery passes that one, makes one more
    # and is killed before the third.
    assert run(RECOVER, store, crash_after=2).wait() == 137
    assert len(journals(store)) == 1
    assert recover_store(store) == 1
    assert recover_store(store) == 0
    assert_rerun_ends_like_a_clean_run(batch, store, clean)


@pytest.mark.parametrize("moves", [1, 2])
def test_a_reader_sees_all_of_a_file_or_none_of_it_after_a_crash(
    batch: list[Path], tmp_path: Path, moves: int
) -> None:
    store = tmp_path / "store"
    file = batch[0]  # three days, clean
    rows = sum(1 for _ in file.open("rb")) - 1
    assert run(INGEST, file, store, crash_after=moves).wait() == 137
    visible = sorted((store / "cdr").glob("day=*/part-*.parquet"))
    assert len(visible) == moves  # a bare glob would see part of the file
    [journal] = journals(store)

    # Killed while the journal was being written: nothing of the file is visible.
    for part in visible:
        part.unlink()
    journal.rename(journal.with_suffix(".tmp"))
    with open_store(store) as con:
        assert con.execute("SELECT count(*) FROM cdr").fetchall() == [(0,)]
    assert list((store / ".journal").glob("*.tmp")) == []

    # Killed after the journal was written: the reader sees the whole file.
    second = tmp_path / "second"
    assert run(INGEST, file, second, crash_after=moves).wait() == 137
    with open_store(second) as con:
        assert con.execute("SELECT count(*) FROM cdr").fetchall() == [(rows,)]
    assert journals(second) == []
