"""Where the feature expressions run: DuckDB in process (default) or Spark.

The expressions in this package never name a backend; these functions give them their
inputs on one. Spark runs in local mode here (tests, one machine); on a cluster, pass
the cluster's session to ``spark_backend``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from telcrm_pipeline.cdr_store import cdr_parquet_files, recover_store
from telcrm_pipeline.features.usage import CDR_COLUMNS


def duckdb_backend() -> Any:
    return ibis.duckdb.connect()


def spark_backend(session: Any | None = None) -> Any:
    """An Ibis backend on a Spark session (a local[2] one, in UTC, by default)."""
    # py4j logs its shutdown at INFO, after the interpreter closed its streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    if session is None:
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master("local[2]")
            .appName("telcrm-pipeline")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            # CDR times are local wall-clock times without a zone: keep them as read.
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    return ibis.pyspark.connect(session)


def cdr_table(con: Any, store: Path) -> ir.Table:
    """The store's CDRs as an Ibis table on ``con`` (after journal recovery)."""
    if con.name == "pyspark":
        recover_store(store)
        return con.read_parquet(str(store / "cdr")).select(*CDR_COLUMNS)
    return con.read_parquet(cdr_parquet_files(store)).select(*CDR_COLUMNS)


def lines_from_silos(silos: Path) -> pa.Table:
    """Access lines and their holders from the CRM's files (add-ons left out):
    ``service_no``, ``customer``, ``start_date``, ``end_date``."""
    crm = silos / "crm"
    with duckdb.connect() as con:
        return con.execute(
            """
            SELECT s.service_no, s.cust_no AS customer,
                CAST(s.start_date AS DATE) AS start_date,
                CAST(NULLIF(s.end_date, '') AS DATE) AS end_date
            FROM read_csv(?, all_varchar = true) s
            JOIN read_csv(?, all_varchar = true) o USING (offer_code)
            WHERE o.kind <> 'addon'
            """,
            [str(crm / "subscriptions.csv"), str(crm / "offers.csv")],
        ).to_arrow_table()
