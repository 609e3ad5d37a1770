"""The CDR store: CDR CSV files validated with DuckDB into day-partitioned Parquet.

See ``docs/cdr-store.md`` for the layout, the validation rules, the quarantine, the
journal that publishes each batch all at once, and the usage summaries.
"""

from __future__ import annotations

from telcrm_pipeline.cdr_store.ingest import (
    CdrFileError,
    CdrFileReport,
    check_cdr_headers,
    ingest_cdr_files,
)
from telcrm_pipeline.cdr_store.journal import recover_store
from telcrm_pipeline.cdr_store.reader import cdr_parquet_files, open_store
from telcrm_pipeline.cdr_store.summaries import line_month_usage, summarise_days

__all__ = [
    "CdrFileError",
    "CdrFileReport",
    "cdr_parquet_files",
    "check_cdr_headers",
    "ingest_cdr_files",
    "line_month_usage",
    "open_store",
    "recover_store",
    "summarise_days",
]
