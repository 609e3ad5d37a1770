"""Features for the analytics pipeline, written once in Ibis (DuckDB or Spark)."""

from telcrm_pipeline.features.backends import (
    cdr_table,
    duckdb_backend,
    lines_from_silos,
    spark_backend,
)
from telcrm_pipeline.features.customer import (
    account_month_features,
    month_table,
    operator_tables,
)
from telcrm_pipeline.features.graph import graph_month_features
from telcrm_pipeline.features.snapshot import churn_labels, customer_month_features
from telcrm_pipeline.features.usage import (
    customer_month_usage,
    line_month_usage,
    with_trends,
)

__all__ = [
    "account_month_features",
    "cdr_table",
    "churn_labels",
    "customer_month_features",
    "customer_month_usage",
    "duckdb_backend",
    "graph_month_features",
    "line_month_usage",
    "lines_from_silos",
    "month_table",
    "operator_tables",
    "spark_backend",
    "with_trends",
]
