"""Reading silo files in their declared or detected encoding, row by row.

A file is either readable as the kind it claims to be (its header is the contract's)
or refused whole before anything is written. Inside a readable file, a row whose bytes
do not decode is not a reason to refuse the file: it is marked, and quarantined with
the column and the bytes at fault, like any other broken row.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

MANIFEST = "manifest.json"
DETECTION_SAMPLE_BYTES = 1 << 20

# Markers a row may carry instead of failing the whole file.
WRONG_COUNT = "__wrong_field_count__"
UNDECODABLE = "__undecodable__"


class SiloFileError(ValueError):
    """A silo file cannot be read at all (missing, wrong header, unknown encoding)."""


Row = dict[str, str]


class RowSource(Protocol):
    """Where a loader's rows come from: files on disk, or rows staff re-submit."""

    def exists(self, relpath: str) -> bool: ...

    def display(self, relpath: str) -> str: ...

    def rows(
        self, relpath: str, *, columns: tuple[str, ...]
    ) -> Iterator[tuple[int, Row]]:
        """Yield (line number, row) for each data row."""
        ...


def codec_name(encoding: str) -> str:
    """The codec to read with; UTF-8 also accepts a leading byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as error:
        raise SiloFileError(f"unknown encoding {encoding!r}") from error
    return "utf-8-sig" if name in {"utf-8", "utf-8-sig"} else name


def manifest_encoding(root: Path) -> str | None:
    """The encoding ``telcrm generate`` (or an operator) declared in manifest.json."""
    manifest = root / MANIFEST
    if not manifest.is_file():
        return None
    declared = json.loads(manifest.read_text("utf-8")).get("encoding")
    return str(declared) if declared else None


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as UTF-8, else
    GB 18030 (a superset of GBK) when it decodes as that, else UTF-8 so that the rows
    with bad bytes are quarantined one by one."""
    with path.open("rb") as handle:
        sample = handle.read(DETECTION_SAMPLE_BYTES)
    complete = len(sample) < DETECTION_SAMPLE_BYTES
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return candidate
    return "utf-8-sig"


@dataclass(frozen=True)
class SiloFile:
    """One file to read as a contract file (``relpath``, e.g. ``crm/customers.csv``)."""

    relpath: str
    path: Path
    encoding: str

    @classmethod
    def open(cls, relpath: str, path: Path, encoding: str | None) -> SiloFile:
        chosen = codec_name(encoding) if encoding else detect_encoding(path)
        return cls(relpath, path, chosen)


class FileSource:
    """Silo files on disk, each read as the contract file it stands for."""

    def __init__(self, files: Sequence[SiloFile]) -> None:
        self.files: Mapping[str, SiloFile] = {item.relpath: item for item in files}

    def exists(self, relpath: str) -> bool:
        return relpath in self.files

    def display(self, relpath: str) -> str:
        return str(self.files[relpath].path)

    def check_header(self, relpath: str, columns: tuple[str, ...]) -> None:
        """Refuse a file that is not the kind it claims to be."""
        item = self.files[relpath]
        with csv_lines(item) as lines:
            header_check(item, next(lines, (1, []))[1], columns)

    def rows(
        self, relpath: str, *, columns: tuple[str, ...]
    ) -> Iterator[tuple[int, Row]]:
        item = self.files[relpath]
        with csv_lines(item) as lines:
            header_check(item, next(lines, (1, []))[1], columns)
            for line, values in lines:
                yield line, row_dict(columns, values, item.encoding)


@contextmanager
def csv_lines(item: SiloFile) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(line number, fields) of a CSV file; undecodable bytes survive as surrogate
    escapes, so that one bad row does not make the whole file unreadable."""
    if not item.path.is_file():
        raise SiloFileError(f"{item.path}: no such file")
    with item.path.open(
        encoding=item.encoding, errors="surrogateescape", newline=""
    ) as handle:
        reader = csv.reader(handle)
        try:
            yield ((reader.line_num, values) for values in reader)
        except UnicodeError as error:
            # A codec that cannot even start (UTF-16 without its byte-order mark).
            raise SiloFileError(
                f"{item.path}: not readable as {encoding_label(item.encoding)} "
                f"({error}); declare the encoding with the manifest or --encoding"
            ) from error


class MemorySource:
    """Rows held in memory (a quarantined row fixed by staff), as if read from files."""

    def __init__(self, rows: Mapping[str, Sequence[tuple[int, Row]]], label: str):
        self._rows = rows
        self.label = label

    def exists(self, relpath: str) -> bool:
        return relpath in self._rows

    def display(self, relpath: str) -> str:
        return f"{self.label}:{relpath}"

    def rows(
        self, relpath: str, *, columns: tuple[str, ...]
    ) -> Iterator[tuple[int, Row]]:
        for line, row in self._rows.get(relpath, ()):
            values = [row.get(column, "") for column in columns]
            yield line, row_dict(columns, values, "utf-8")


def header_check(item: SiloFile, header: list[str], columns: tuple[str, ...]) -> None:
    if any(is_undecodable(name) for name in header):
        raise SiloFileError(
            f"{item.path}: the header is not readable as "
            f"{encoding_label(item.encoding)}; "
            "declare the encoding with the manifest or --encoding"
        )
    missing = [column for column in columns if column not in header]
    if missing or len(header) != len(columns):
        raise SiloFileError(
            f"{item.path}: header {header!r} is not the expected {list(columns)!r} "
            f"of {item.relpath} (missing: {missing or 'none'}); "
            "is this the right kind of file?"
        )


def encoding_label(encoding: str) -> str:
    """How people name an encoding: UTF-8 (BOM or not), GB18030, GBK."""
    return "UTF-8" if encoding in {"utf-8", "utf-8-sig"} else encoding.upper()


def is_undecodable(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def readable(text: str, encoding: str) -> str:
    """Text with undecodable bytes shown as escapes (``\\xff``), safe to store."""
    raw = text.encode(encoding, "surrogateescape")
    return raw.decode(encoding, "backslashreplace")


def row_dict(columns: tuple[str, ...], values: list[str], encoding: str) -> Row:
    """Map values to columns; a row with the wrong field count or bad bytes keeps a
    marker that the loaders turn into a quarantine reason."""
    bad = [index for index, value in enumerate(values) if is_undecodable(value)]
    if bad:
        values = [readable(value, encoding) for value in values]
    row = dict(zip(columns, values, strict=False))
    if len(values) != len(columns):
        # Fields beyond the contract are kept too: the quarantine loses nothing.
        for number, extra in enumerate(values[len(columns) :], start=1):
            row[f"(extra {number})"] = extra
        row[WRONG_COUNT] = f"{len(values)} fields, expected {len(columns)}"
    elif bad:
        column = columns[bad[0]]
        row[UNDECODABLE] = (
            f"{column}\tundecodable bytes (not {encoding_label(encoding)}): "
            f"'{row[column]}'"
        )
    return row
