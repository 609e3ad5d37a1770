"""CSV output: RFC 4180 through Arrow's writer, transcoded to GBK when asked.

Arrow writes UTF-8; for GBK the bytes are decoded and re-encoded in large blocks
(ASCII-only files, such as the CDRs, are identical in both encodings and skip it).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

MONEY = pa.decimal128(14, 2)
WRITE_OPTIONS = pa_csv.WriteOptions(
    include_header=False, quoting_style="needed", batch_size=65_536
)
# CDR values never hold separators or quotes: no quoting at all (smaller, faster).
CDR_WRITE_OPTIONS = pa_csv.WriteOptions(
    include_header=False, quoting_style="none", batch_size=65_536
)


def money(cents: np.ndarray) -> pa.Array:
    """Turn integer cents into an exact two-decimal yuan column (no float rounding)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty(2 * len(cents), dtype=np.int64)
    words[0::2] = cents
    words[1::2] = cents >> 63
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words)])


def days(
    day_numbers: np.ndarray, epoch_day: int, present: np.ndarray | None = None
) -> pa.Array:
    """Turn day indexes into dates; rows where ``present`` is False are empty."""
    values = (np.asarray(day_numbers) + epoch_day).astype(np.int32)
    # The mask must go with the numpy values: pa.array() ignores it on an Arrow array.
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    return pa.array(values, type=pa.int32(), mask=mask).cast(pa.date32())


def times(seconds: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """Turn seconds since 1970 (local wall time) into a timestamp column."""
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    values = pa.array(np.asarray(seconds, dtype=np.int64), mask=mask)
    return values.cast(pa.timestamp("s"))


class SiloWriter:
    """Write tables under one root in one encoding, and count their rows."""

    def __init__(self, root: Path, encoding: str) -> None:
        self.root = root
        self.encoding = encoding
        self.rows: dict[str, int] = {}

    def write(self, relative: str, table: pa.Table, columns: tuple[str, ...]) -> None:
        """Write ``table`` to ``relative`` with exactly ``columns``, in that order."""
        if tuple(table.column_names) != columns:
            raise ValueError(
                f"{relative}: columns {table.column_names} != contract {columns}"
            )
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as sink:
            sink.write((",".join(columns) + "\n").encode("ascii"))
            if self.encoding == "utf-8" or not has_non_ascii(table):
                pa_csv.write_csv(table, sink, write_options=WRITE_OPTIONS)
            else:
                sink.write(transcode(table, self.encoding))
        self.rows[relative] = table.num_rows

    def write_json(self, relative: str, payload: dict[str, Any]) -> None:
        """Write JSON with sorted keys (no timestamps: output stays stable)."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            "utf-8",
        )


def has_non_ascii(table: pa.Table) -> bool:
    """Whether any string column holds a non-ASCII character."""
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            for chunk in column.chunks:
                if (
                    chunk.buffers()[2] is not None
                    and not chunk.buffers()[2].to_pybytes().isascii()
                ):
                    return True
    return False


def transcode(table: pa.Table, encoding: str) -> bytes:
    """Render ``table`` as CSV and re-encode the UTF-8 text, block by block."""
    blocks = []
    for batch in table.to_batches(max_chunksize=200_000):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, write_options=WRITE_OPTIONS)
        blocks.append(buffer.getvalue().decode("utf-8").encode(encoding))
    return b"".join(blocks)
