"""Ingest CDR CSV files into the day-partitioned Parquet store, validated in DuckDB SQL.

Every row of a file ends in exactly one of three places: the store (loaded), the
quarantine (with the line number, the field and the reason) or the duplicates skipped,
so that ``read = loaded + quarantined + duplicates`` for each file. No Python runs per
row: DuckDB reads, validates, deduplicates and writes.
"""

from __future__ import annotations

import codecs
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from telcrm_pipeline.cdr_store.journal import (
    fsync_dir,
    fsync_file,
    publish,
    recover_store,
)
from telcrm_pipeline.cdr_store.reader import store_files
from telcrm_pipeline.silo_contract import CDR_COLUMNS

CHUNK_BYTES = 16 * 1024 * 1024
REPLACEMENT = "\ufffd"

RECORD_TYPES = ("voice", "sms", "data")
CALL_TYPES: dict[str, tuple[str, ...]] = {
    "voice": ("local", "long_distance", "international", "info_service"),
    "sms": ("p2p", "info_service"),
    "data": ("data",),
}


class CdrFileError(ValueError):
    """A file that is not a CDR file at all (refused before anything is written)."""


@dataclass(frozen=True)
class CdrFileReport:
    """The accounting of one file: ``read == loaded + quarantined + duplicates``.

    ``days`` are the days (YYYY-MM-DD, sorted) where the file loaded rows: the day
    partitions whose usage summaries are now out of date (``summarise_days``).
    ``sha256`` is the file's digest (computed anyway: it names the output files), for
    callers that keep a ledger of what they ingested.
    """

    path: Path
    read: int
    loaded: int
    quarantined: int
    duplicates: int
    days: tuple[str, ...] = ()
    # Not part of the accounting: reports compare equal whatever the digest.
    sha256: str = field(default="", compare=False)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    """The file's sha256 (names its output files). Run in a thread beside DuckDB:
    ``hashlib`` releases the GIL on large buffers."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _needs_transcoding(path: Path, encoding: str) -> bool:
    """UTF-8 without a byte-order mark is read by DuckDB as it is (DuckDB rejects a
    line with invalid UTF-8, naming the column); anything else is transcoded first."""
    with path.open("rb") as handle:
        bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    return bom or not _is_utf8(encoding)


def check_cdr_headers(paths: Sequence[Path], *, encoding: str = "utf-8") -> None:
    """Refuse, before anything is read or written, any file that is not a CDR file.

    Raises CdrFileError naming the first such file and both headers.
    """
    for path in paths:
        _check_header(Path(path), encoding)


def _check_header(path: Path, encoding: str) -> None:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8-sig" if _is_utf8(encoding) else encoding)
    except UnicodeDecodeError as error:
        raise CdrFileError(f"{path}: header is not {encoding} text") from error
    header = tuple(text.rstrip("\r\n").split(","))
    if header != CDR_COLUMNS:
        raise CdrFileError(
            f"{path}: not a CDR file (header {','.join(header)!r}, "
            f"expected {','.join(CDR_COLUMNS)!r})"
        )


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


@contextmanager
def _utf8_source(
    path: Path, encoding: str, transcode: bool, scratch: Path
) -> Iterator[Path]:
    """The file itself when it is clean UTF-8, else a UTF-8 copy (bad bytes: U+FFFD)."""
    if not transcode:
        yield path
        return
    target = scratch / "transcoded.csv"
    source_encoding = "utf-8-sig" if _is_utf8(encoding) else encoding
    decoder = codecs.getincrementaldecoder(source_encoding)(errors="replace")
    with path.open("rb") as source, target.open("w", encoding="utf-8") as out:
        while chunk := source.read(CHUNK_BYTES):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def _validation_sql(transcoded: bool) -> tuple[str, str, str]:
    """SQL for one raw row: all-valid flag, and the first broken field with its reason.

    The expressions read the raw text columns and their typed casts (``t_<column>``).
    """
    checks: list[tuple[str, str, str]] = []
    if transcoded:
        checks += [
            (f"strpos({column}, '{REPLACEMENT}') > 0", column, "undecodable bytes")
            for column in CDR_COLUMNS
        ]
    checks += [(f"{column} IS NULL", column, "missing value") for column in CDR_COLUMNS]
    record_types = ", ".join(_quote(value) for value in RECORD_TYPES)
    call_type_cases = " ".join(
        f"WHEN {_quote(record)} THEN call_type IN ({', '.join(map(_quote, allowed))})"
        for record, allowed in CALL_TYPES.items()
    )
    call_type_ok = f"(CASE record_type {call_type_cases} ELSE false END)"
    checks += [
        ("t_cdr_id IS NULL", "cdr_id", "not an integer"),
        ("t_cdr_id <= 0", "cdr_id", "not a positive integer"),
        (f"record_type NOT IN ({record_types})", "record_type", "unknown record_type"),
        (
            f"NOT {call_type_ok}",
            "call_type",
            "call_type not allowed for this record_type",
        ),
        ("t_start_time IS NULL", "start_time", "not a timestamp"),
        ("t_duration_s IS NULL", "duration_s", "not an integer"),
        ("t_duration_s < 0", "duration_s", "negative"),
        ("t_bytes IS NULL", "bytes", "not an integer"),
        ("t_bytes < 0", "bytes", "negative"),
        ("t_charge IS NULL", "charge", "not a number"),
        ("t_charge < 0", "charge", "negative"),
        ("roaming NOT IN ('0', '1')", "roaming", "not 0 or 1"),
    ]
    valid = [
        "t_cdr_id > 0",
        call_type_ok,
        "caller IS NOT NULL",
        "callee IS NOT NULL",
        "t_start_time IS NOT NULL",
        "t_duration_s >= 0",
        "t_bytes >= 0",
        "t_charge >= 0",
        "cell_id IS NOT NULL",
        "roaming IN ('0', '1')",
    ]
    if transcoded:
        valid += [f"strpos({column}, '{REPLACEMENT}') = 0" for column in CDR_COLUMNS]
    ok = "coalesce(" + " AND ".join(valid) + ", false)"
    field = " ".join(f"WHEN {cond} THEN {_quote(name)}" for cond, name, _ in checks)
    reason = " ".join(f"WHEN {cond} THEN {_quote(why)}" for cond, _, why in checks)
    return ok, f"CASE {field} END", f"CASE {reason} END"


RAW_LINE = (
    "concat_ws(',', " + ", ".join(f"coalesce({c}, '')" for c in CDR_COLUMNS) + ")"
)


def _day_moves(
    staging: Path, store_cdr: Path, name: str
) -> tuple[list[tuple[Path, Path]], tuple[str, ...]]:
    """Where each staged day file goes (each made durable first), and the days."""
    moves: list[tuple[Path, Path]] = []
    days: list[str] = []
    for day_dir in sorted(staging.glob("day=*")):
        files = sorted(day_dir.glob("*.parquet"))
        if not files:
            continue
        days.append(day_dir.name.removeprefix("day="))
        target_dir = store_cdr / day_dir.name
        taken = {target.name for target in target_dir.glob("part-*.parquet")}
        for number, staged in enumerate(files):
            suffix = "" if number == 0 else f"-{number}"
            target = f"part-{name}{suffix}.parquet"
            while target in taken:
                number += len(files)
                target = f"part-{name}-{number}.parquet"
            taken.add(target)
            fsync_file(staged)
            moves.append((staged, target_dir / target))
        fsync_dir(day_dir)
    return moves, tuple(days)


COLUMNS_SQL = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in CDR_COLUMNS) + "}"


def _read_typed_sql(source: Path, ok_sql: str) -> str:
    """The file's rows with typed casts (``t_<column>``) and the all-valid flag."""
    return f"""
        SELECT *, {ok_sql} AS ok FROM (
            SELECT *,
                TRY_CAST(cdr_id AS BIGINT) AS t_cdr_id,
                TRY_CAST(start_time AS TIMESTAMP) AS t_start_time,
                TRY_CAST(duration_s AS INTEGER) AS t_duration_s,
                TRY_CAST(bytes AS BIGINT) AS t_bytes,
                TRY_CAST(charge AS DECIMAL(12,2)) AS t_charge
            FROM read_csv({_quote(str(source))}, header = true,
                columns = {COLUMNS_SQL}, auto_detect = false, delim = ',',
                quote = '', escape = '', store_rejects = true)
        )
    """  # noqa: S608 (paths are quoted, the rest is constant)


BROKEN_ROW = "telcrm-cdr-store: a row breaks the contract"


def _no_repeated_ids(con: duckdb.DuckDBPyConnection, staged: list[str]) -> bool:
    """Exactly: no ``cdr_id`` appears twice in the staged files.

    When the ids span a range not much wider than their number (the usual case: a
    switch numbers its records in sequence), one bit per possible id
    (``bitstring_agg``) counts the distinct ids without hashing; otherwise
    ``count(DISTINCT cdr_id)``.
    """
    bounds = con.execute(
        "SELECT min(cdr_id), max(cdr_id), count(*) FROM read_parquet(?)", [staged]
    ).fetchone()
    assert bounds is not None
    low, high, rows = (int(v) for v in bounds)
    if high - low < max(8 * rows, 1 << 20) and high - low < 1 << 31:
        distinct = con.execute(
            "SELECT bit_count(bitstring_agg(cdr_id, ?::BIGINT, ?::BIGINT)) "
            "FROM read_parquet(?)",
            [low, high, staged],
        ).fetchone()
    else:
        distinct = con.execute(
            "SELECT count(DISTINCT cdr_id) FROM read_parquet(?)", [staged]
        ).fetchone()
    assert distinct is not None
    return int(distinct[0]) == rows


def _ingest_clean(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: Callable[[], str],
    scratch: Path,
    store: Path,
) -> CdrFileReport | None:
    """The fast path: one pass from CSV to Parquet, kept only if the file was clean.

    Valid rows go straight to the staged day files. The file was clean when every
    line became a written row (no rejected line; a row failing a check stops the
    ``COPY`` at once with ``error()``) and no ``cdr_id`` repeats, within the file or
    against the store; otherwise ``None``, and the caller takes the full path, which
    locates and quarantines each broken row.
    """
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    ok_sql, _, _ = _validation_sql(transcoded=False)
    staging = scratch / "clean"
    try:
        written = con.execute(
            f"""
            COPY (
                SELECT t_cdr_id AS cdr_id, record_type, call_type, caller, callee,
                    t_start_time AS start_time, t_duration_s AS duration_s,
                    t_bytes AS bytes, t_charge AS charge, cell_id,
                    roaming = '1' AS roaming, CAST(t_start_time AS DATE) AS day
                FROM ({_read_typed_sql(path, ok_sql)})
                WHERE CASE WHEN ok THEN true ELSE error({_quote(BROKEN_ROW)}) END
            ) TO {_quote(str(staging))}
            (FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN 'data_{{i}}')
            """  # noqa: S608 (paths are quoted, the rest is constant)
        ).fetchone()
    except duckdb.Error as error:
        if BROKEN_ROW not in str(error):
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return None
    rejected = con.execute("SELECT count(*) FROM reject_errors").fetchone()
    assert written is not None and rejected is not None
    loaded = int(written[0])
    if int(rejected[0]):
        shutil.rmtree(staging, ignore_errors=True)
        return None
    staged = sorted(str(p) for p in staging.glob("day=*/*.parquet"))
    days: tuple[str, ...] = ()
    if staged:
        existing = store_files(
            store,
            "cdr",
            [d.name.removeprefix("day=") for d in staging.glob("day=*")],
        )
        unique = _no_repeated_ids(con, staged)
        clashes = 0
        if existing and unique:
            found = con.execute(
                """
                SELECT count(*) FROM read_parquet(?, hive_partitioning = true) s
                SEMI JOIN read_parquet(?, hive_partitioning = true) t
                    ON t.cdr_id = s.cdr_id AND t.day = s.day
                """,
                [staged, existing],
            ).fetchone()
            assert found is not None
            clashes = int(found[0])
        if not unique or clashes:
            shutil.rmtree(staging, ignore_errors=True)
            return None
        name = digest()[:16]
        moves, days = _day_moves(staging, store / "cdr", name)
        publish(store, moves, name=name, scratch=scratch)
    return CdrFileReport(
        path=path, read=loaded, loaded=loaded, quarantined=0, duplicates=0, days=days
    )


def _ingest_one(
    con: duckdb.DuckDBPyConnection, path: Path, store: Path, encoding: str
) -> CdrFileReport:
    transcode = _needs_transcoding(path, encoding)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        digest = hasher.submit(_sha256, path)
        report = _ingest_staged(con, path, store, encoding, transcode, digest.result)
        return replace(report, sha256=digest.result())


def _ingest_staged(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    store: Path,
    encoding: str,
    transcode: bool,
    digest: Callable[[], str],
) -> CdrFileReport:
    store_cdr = store / "cdr"
    quarantine_dir = store / "quarantine" / "cdr"
    work = store / ".work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=work, prefix="ingest-", ignore_cleanup_errors=True
    ) as scratch_name:
        scratch = Path(scratch_name)
        with _utf8_source(path, encoding, transcode, scratch) as source:
            columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in CDR_COLUMNS) + "}"
            if not transcode:
                report = _ingest_clean(con, path, digest, scratch, store)
                if report is not None:
                    return report
            con.execute("DROP TABLE IF EXISTS reject_errors")
            con.execute("DROP TABLE IF EXISTS reject_scans")
            ok_sql, field_sql, reason_sql = _validation_sql(source != path)
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE stage AS
                SELECT
                    CASE WHEN NOT ok THEN {field_sql} END AS field,
                    CASE WHEN NOT ok THEN {reason_sql} END AS reason,
                    CASE WHEN NOT ok THEN {RAW_LINE} END AS raw_line,
                    t_cdr_id AS cdr_id, record_type, call_type, caller, callee,
                    t_start_time AS start_time, t_duration_s AS duration_s,
                    t_bytes AS bytes, t_charge AS charge, cell_id,
                    roaming = '1' AS roaming
                FROM (
                    SELECT *, {ok_sql} AS ok FROM (
                        SELECT *,
                            TRY_CAST(cdr_id AS BIGINT) AS t_cdr_id,
                            TRY_CAST(start_time AS TIMESTAMP) AS t_start_time,
                            TRY_CAST(duration_s AS INTEGER) AS t_duration_s,
                            TRY_CAST(bytes AS BIGINT) AS t_bytes,
                            TRY_CAST(charge AS DECIMAL(12,2)) AS t_charge
                        FROM read_csv({_quote(str(source))}, header = true,
                            columns = {columns}, auto_detect = false, delim = ',',
                            quote = '', escape = '', store_rejects = true)
                    )
                )
                """  # noqa: S608 (paths are quoted, the rest is constant)
            )
            # Rows keep the file's order (insertion order is preserved): rowid + 1 is
            # the row's position among the parsed rows.
            con.execute(
                "CREATE OR REPLACE TEMP VIEW staged AS "
                "SELECT rowid + 1 AS rn, * FROM stage"
            )
            # Malformed lines (wrong column count, broken quoting): one per line.
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE rejected AS
                SELECT CAST(line AS BIGINT) AS line,
                    CASE WHEN bool_or(error_type = 'INVALID ENCODING')
                        THEN min_by(column_name, column_idx)
                            FILTER (WHERE error_type = 'INVALID ENCODING')
                        ELSE '(line)' END AS field,
                    CASE WHEN bool_or(error_type = 'INVALID ENCODING')
                        THEN 'INVALID ENCODING'
                        ELSE any_value(error_type) END AS error_type,
                    any_value(error_message) AS message,
                    any_value(csv_line) AS raw_line
                FROM reject_errors GROUP BY line
                """
            )
        # Same cdr_id twice in the file: an identical row is a duplicate (skipped),
        # a different one breaks the key and is quarantined; the first one wins.
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE repeated AS
            WITH keys AS (
                SELECT cdr_id FROM staged WHERE field IS NULL
                GROUP BY cdr_id HAVING count(*) > 1
            ), rows AS (
                SELECT s.rn, s.cdr_id,
                    hash(s.record_type, s.call_type, s.caller, s.callee, s.start_time,
                         s.duration_s, s.bytes, s.charge, s.cell_id, s.roaming) AS h
                FROM staged s JOIN keys USING (cdr_id) WHERE s.field IS NULL
            )
            SELECT rn, cdr_id,
                h = first_value(h) OVER w AS same,
                first_value(rn) OVER w AS first_rn
            FROM rows
            WINDOW w AS (PARTITION BY cdr_id ORDER BY rn)
            QUALIFY row_number() OVER w > 1
            """
        )
        # The k-th parsed row's physical line: k + 1 (the header) + the rejected
        # lines before it (a rejected line r_i has r_i - i - 1 parsed rows before it).
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE gaps AS
            SELECT line - row_number() OVER (ORDER BY line) - 1 AS before
            FROM rejected
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TEMP MACRO line_of(n) AS
            CAST(n + 1 + (SELECT count(*) FROM gaps WHERE before < n) AS BIGINT)
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE bad AS
            SELECT s.rn, line_of(s.rn) AS line, s.field, s.reason, s.raw_line
            FROM staged s WHERE s.field IS NOT NULL
            UNION ALL
            SELECT s.rn, line_of(s.rn), 'cdr_id',
                'duplicate cdr_id with different values (first at line '
                    || line_of(r.first_rn) || ')',
                concat_ws(',', s.cdr_id, s.record_type, s.call_type, s.caller,
                    s.callee, strftime(s.start_time, '%Y-%m-%d %H:%M:%S'),
                    s.duration_s, s.bytes, s.charge, s.cell_id, s.roaming::INT)
            FROM repeated r JOIN staged s USING (rn) WHERE NOT r.same
            """
        )
        # Rows already in the store, in the same day partition, are duplicates.
        days = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT CAST(start_time AS DATE)::VARCHAR FROM stage "
                "WHERE field IS NULL"
            ).fetchall()
        ]
        existing = store_files(store, "cdr", days) if days else []
        if existing:
            files = "[" + ", ".join(map(_quote, existing)) + "]"
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE stored AS
                SELECT DISTINCT day::VARCHAR AS day, cdr_id
                FROM read_parquet({files}, hive_partitioning = true)
                """  # noqa: S608 (paths are quoted, the rest is constant)
            )
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE stored (day VARCHAR, cdr_id BIGINT)"
            )
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE skipped AS
            SELECT rn FROM repeated WHERE same
            UNION
            SELECT s.rn FROM staged s
            SEMI JOIN stored t
                ON t.cdr_id = s.cdr_id AND t.day = CAST(s.start_time AS DATE)::VARCHAR
            WHERE s.field IS NULL
            """
        )
        staging = scratch / "cdr"
        con.execute(
            f"""
            COPY (
                SELECT cdr_id, record_type, call_type, caller, callee, start_time,
                    duration_s, bytes, charge, cell_id, roaming,
                    CAST(start_time AS DATE) AS day
                FROM staged s
                WHERE s.field IS NULL
                    AND s.rn NOT IN (
                        SELECT rn FROM skipped UNION ALL SELECT rn FROM bad
                    )
            ) TO {_quote(str(staging))}
            (FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN 'data_{{i}}')
            """  # noqa: S608 (paths are quoted, the rest is constant)
        )
        counts = con.execute(
            """
            SELECT (SELECT count(*) FROM stage), (SELECT count(*) FROM rejected),
                (SELECT count(*) FROM bad), (SELECT count(*) FROM skipped)
            """
        ).fetchone()
        assert counts is not None
        parsed, malformed, invalid, duplicates = (int(v) for v in counts)
        quarantined = malformed + invalid
        name = digest()[:16]
        moves: list[tuple[Path, Path]] = []
        if quarantined:
            staged_quarantine = scratch / "quarantine.parquet"
            con.execute(
                f"""
                COPY (
                    SELECT {_quote(str(path))} AS file, line, field, reason, raw_line
                    FROM (
                        SELECT line, field, reason, raw_line FROM bad
                        UNION ALL
                        SELECT line, field,
                            CASE error_type
                                WHEN 'INVALID ENCODING' THEN 'undecodable bytes'
                                WHEN 'MISSING COLUMNS'
                                    THEN 'wrong column count: ' || message
                                WHEN 'TOO MANY COLUMNS'
                                    THEN 'wrong column count: ' || message
                                ELSE 'malformed line: ' || message END,
                            raw_line
                        FROM rejected
                    )
                    ORDER BY line
                ) TO {_quote(str(staged_quarantine))} (FORMAT parquet)
                """  # noqa: S608 (paths are quoted, the rest is constant)
            )
            fsync_file(staged_quarantine)
            fsync_dir(scratch)
            moves.append((staged_quarantine, quarantine_dir / f"part-{name}.parquet"))
        loaded_days: tuple[str, ...] = ()
        if staging.exists():
            day_moves, loaded_days = _day_moves(staging, store_cdr, name)
            moves += day_moves
        # The quarantine file and every day file appear together, or none of them.
        publish(store, moves, name=name, scratch=scratch)
        loaded = parsed - invalid - duplicates
        con.execute("DROP VIEW IF EXISTS staged")
        for table in (
            "stage",
            "rejected",
            "gaps",
            "bad",
            "repeated",
            "stored",
            "skipped",
        ):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return CdrFileReport(
        path=path,
        read=parsed + malformed,
        loaded=loaded,
        quarantined=quarantined,
        duplicates=duplicates,
        days=loaded_days,
    )


def ingest_cdr_files(
    paths: Sequence[Path], store: Path, *, encoding: str = "utf-8"
) -> list[CdrFileReport]:
    """Validate CDR CSV files and add their rows to the Parquet store.

    Parameters
    ----------
    paths : sequence of Path
        CDR files with the ``CDR_COLUMNS`` header (``cdr/YYYY-MM/cdr_YYYYMMDD.csv``).
    store : Path
        The store's root: rows go to ``store/cdr/day=YYYY-MM-DD/``, broken rows to
        ``store/quarantine/cdr/``.
    encoding : str
        The files' declared encoding; anything but clean UTF-8 is transcoded first.

    Returns
    -------
    list of CdrFileReport
        One per file, in order: ``read == loaded + quarantined + duplicates``.

    Raises
    ------
    CdrFileError
        When a file's header is not the CDR header (checked for every file before any
        is read, so nothing is written).
    """
    check_cdr_headers(paths, encoding=encoding)
    recover_store(Path(store))
    reports: list[CdrFileReport] = []
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        for path in paths:
            reports.append(_ingest_one(con, Path(path), Path(store), encoding))
    finally:
        con.close()
        _remove_if_empty(Path(store) / ".work")
    return reports


def _remove_if_empty(work: Path) -> None:
    # Each file's scratch directory removes itself; the shared parent goes only when
    # empty, because another run may be ingesting into the same store right now.
    with suppress(OSError):
        work.rmdir()
