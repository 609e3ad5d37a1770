"""Features for the analytics pipeline, written once in Ibis (DuckDB or Spark)."""

from telcrm_pipeline.features.backends import (
    cdr_table,
    duckdb_backend,
    lines_from_silos,
    spark_backend,
)
from telcrm_pipeline.features.usage import (
    customer_month_usage,
    line_month_usage,
    with_trends,
)

__all__ = [
    "cdr_table",
    "customer_month_usage",
    "duckdb_backend",
    "line_month_usage",
    "lines_from_silos",
    "spark_backend",
    "with_trends",
]
