"""The CDR store: CDR CSV files validated with DuckDB into day-partitioned Parquet.

See ``docs/cdr-store.md`` for the layout, the validation rules and the quarantine.
"""

from __future__ import annotations

from telcrm_pipeline.cdr_store.ingest import (
    CdrFileError,
    CdrFileReport,
    ingest_cdr_files,
)

__all__ = ["CdrFileError", "CdrFileReport", "ingest_cdr_files"]
