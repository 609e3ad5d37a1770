"""Reading silo files in their declared encoding, row by row with line numbers."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from pathlib import Path

MANIFEST = "manifest.json"


class SiloFileError(ValueError):
    """A silo file cannot be read at all (missing, wrong header, undecodable)."""


class SiloSource:
    """A silos/ directory; its manifest.json declares the encoding (else UTF-8)."""

    def __init__(self, root: Path, *, encoding: str | None = None) -> None:
        self.root = root
        self.encoding = encoding or self._manifest_encoding()
        try:
            codecs.lookup(self.encoding)
        except LookupError as error:
            raise SiloFileError(f"unknown encoding {self.encoding!r}") from error

    def _manifest_encoding(self) -> str:
        manifest = self.root / MANIFEST
        if not manifest.exists():
            return "utf-8-sig"
        declared = str(json.loads(manifest.read_text("utf-8")).get("encoding", "utf-8"))
        # utf-8-sig also accepts files that start with a byte-order mark.
        return "utf-8-sig" if declared.lower() in {"utf-8", "utf8"} else declared

    def exists(self, relpath: str) -> bool:
        return (self.root / relpath).is_file()

    def rows(
        self, relpath: str, *, columns: tuple[str, ...]
    ) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (line number, row) for each data row, after checking the header."""
        path = self.root / relpath
        try:
            with path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle)
                check_header(relpath, next(reader, []), columns)
                for values in reader:
                    yield reader.line_num, row_dict(columns, values)
        except UnicodeError as error:
            raise SiloFileError(
                f"{relpath}: not readable as {self.encoding} ({describe(error)}); "
                "declare the encoding with the manifest or --encoding"
            ) from error


def describe(error: UnicodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"{error.reason} at byte {error.start}"
    return str(error)


def check_header(relpath: str, header: list[str], columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in header]
    if missing or len(header) != len(columns):
        raise SiloFileError(
            f"{relpath}: header {header!r} is not the expected {list(columns)!r} "
            f"(missing: {missing or 'none'}); is this the right kind of file?"
        )


def row_dict(columns: tuple[str, ...], values: list[str]) -> dict[str, str]:
    """Map values to columns; a row with the wrong field count keeps a marker."""
    row = dict(zip(columns, values, strict=False))
    if len(values) != len(columns):
        row[WRONG_COUNT] = f"{len(values)} fields, expected {len(columns)}"
    return row


WRONG_COUNT = "__wrong_field_count__"
