"""The dashboards' figures: DuckDB SQL over one pipeline run's Parquet marts.

Every figure is defined in docs/web.md, "Dashboards". The queries run in an
in-memory DuckDB database that only reads the run's Parquet files. Nothing a user
types becomes SQL: dimension names are checked against ``DIMENSIONS`` (they are
column names of the ``sliced`` relation below) and every value is a bound
parameter.

The grain is the customer-month of ``customer_month_features``: one row per
customer live at the end of month M. Onto it go the customer's region (today's,
from ``input/customers``), segment (the run's ``customer_results``), the revenue of
month M (postpaid bills of period M plus top-ups paid during M, as the value stage
counts revenue) and whether the customer closed during month M+1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from telcrm_pipeline.features.customer import LINES_OF_BUSINESS
from telcrm_pipeline.segments.strategy import BANDS

#: What the figures can be sliced and grouped by (columns of ``sliced``).
DIMENSIONS = ("province", "city", "segment", "product", "channel", "month")
#: Where a click on a dimension's value drills down to.
DRILL_DOWN = {"province": "city"}
#: The segment of customers the run did not place in the matrix.
UNSCORED = "unscored"
#: Accounts paid by top-ups: their bills are statements, their revenue the top-ups.
PREPAID_PAY_METHOD = "prepaid"

MART_FILES = {
    "features": "customer_month_features.parquet",
    "results": "customer_results.parquet",
    "value": "customer_value.parquet",
    "clv": "customer_clv.parquet",
    "customers": "input/customers.parquet",
    "accounts": "input/accounts.parquet",
    "bills": "input/bills.parquet",
    "payments": "input/payments.parquet",
}


class UnknownDimension(ValueError):
    """A dimension name that is not in ``DIMENSIONS`` (refused, never quoted)."""


class MartsUnavailable(RuntimeError):
    """The run's marts directory or one of its files is missing."""


@dataclass(frozen=True)
class KpiRow:
    """The figures of one month (and one value of the grouping dimension)."""

    month: dt.date
    key: str | None
    customers: int
    revenue: float
    opening_customers: int | None
    churned: int | None

    @property
    def arpu(self) -> float | None:
        return self.revenue / self.customers if self.customers else None

    @property
    def churn_rate(self) -> float | None:
        if not self.opening_customers or self.churned is None:
            return None
        return self.churned / self.opening_customers

    @property
    def retention_rate(self) -> float | None:
        rate = self.churn_rate
        return None if rate is None else 1.0 - rate


@dataclass(frozen=True)
class ClvSummary:
    customers: int
    mean_clv: float | None


@dataclass(frozen=True)
class MatrixCell:
    value_band: str
    risk_band: str
    customers: int
    revenue: float


@dataclass(frozen=True)
class CellCustomer:
    customer: str
    churn_probability: float | None
    value_score: float | None
    revenue: float | None


def check_dimension(name: str) -> str:
    if name not in DIMENSIONS:
        raise UnknownDimension(name)
    return name


def product_rows() -> str:
    """One row per customer-month and line of business the customer holds live.

    The column names come from the pipeline's own constant, not from a request.
    """
    selects = [
        f"SELECT customer, month, '{business}' AS product "  # noqa: S608 (a constant)
        f"FROM read_parquet($features) WHERE {business}_lines > 0"
        for business in LINES_OF_BUSINESS
    ]
    return " UNION ALL ".join(selects)


def base_sql(*, with_product: bool) -> str:
    """The CTEs every query starts from, ending in ``sliced``.

    ``with_product`` joins the lines of business, so that a customer holding two
    appears under both; without it ``sliced`` has one row per customer-month.
    """
    product_join = (
        "JOIN products USING (customer, month)"
        if with_product
        else "CROSS JOIN (SELECT NULL::VARCHAR AS product)"
    )
    return f"""
WITH revenue AS (
    SELECT customer, month, sum(amount) AS revenue FROM (
        SELECT b.customer, b.period AS month, b.amount
        FROM read_parquet($bills) AS b
        JOIN read_parquet($accounts) AS a ON a.account = b.account
        WHERE a.pay_method <> $prepaid
        UNION ALL
        SELECT customer, CAST(date_trunc('month', paid_at) AS DATE), amount
        FROM read_parquet($payments)
        WHERE bill_no IS NULL
    ) GROUP BY customer, month
),
products AS ({product_rows()}),
fact AS (
    SELECT f.customer, f.month, f.channel, c.province, c.city,
           coalesce(r.segment_code, $unscored) AS segment,
           coalesce(v.revenue, 0.0) AS revenue,
           coalesce(
               c.status = 'closed'
               AND c.status_date >= f.month + INTERVAL 1 MONTH
               AND c.status_date < f.month + INTERVAL 2 MONTH,
               false
           ) AS closes_next_month
    FROM read_parquet($features) AS f
    LEFT JOIN read_parquet($customers) AS c USING (customer)
    LEFT JOIN read_parquet($results) AS r USING (customer)
    LEFT JOIN revenue AS v USING (customer, month)
),
sliced AS (SELECT fact.*, product FROM fact {product_join})
"""  # noqa: S608 (whitelisted names, bound values)


class Marts:
    """One run's marts, queried read-only through an in-memory DuckDB database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        missing = [
            name for name in MART_FILES.values() if not (directory / name).is_file()
        ]
        if missing:
            raise MartsUnavailable(f"{directory}: missing {', '.join(missing)}")

    def fetch(
        self, sql: str, params: dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        bound: dict[str, Any] = {
            name: str(self.directory / file) for name, file in MART_FILES.items()
        }
        bound |= {"prepaid": PREPAID_PAY_METHOD, "unscored": UNSCORED}
        bound |= params or {}
        # Only the parameters the statement names may be bound.
        used = {name: value for name, value in bound.items() if f"${name}" in sql}
        with duckdb.connect(":memory:") as con:
            return con.execute(sql, used).fetchall()

    def latest_month(self) -> dt.date | None:
        rows = self.fetch(
            "SELECT max(month) FROM read_parquet($features)",
        )
        month = rows[0][0]
        return month if isinstance(month, dt.date) else None

    def kpis(
        self, *, by: str | None = None, filters: dict[str, str] | None = None
    ) -> list[KpiRow]:
        """Per month (and per value of ``by``): customers, revenue, churn.

        The churn of month M counts the customers live at the end of M-1 (the
        opening customers) who closed during M; the last month whose next month
        the data covers is the latest month itself.
        """
        filters = filters or {}
        key = check_dimension(by) if by else "NULL"
        where, params = filter_clause(filters, skip=("month",))
        with_product = by == "product" or "product" in filters
        month_clause = "WHERE s.month = $month" if filters.get("month") else ""
        tail = f"""
, stock AS (
    SELECT month, {key} AS key, count(DISTINCT customer) AS customers,
           sum(revenue) AS revenue
    FROM sliced WHERE {where} GROUP BY ALL
),
flow AS (
    SELECT CAST(month + INTERVAL 1 MONTH AS DATE) AS month, {key} AS key,
           count(DISTINCT customer) AS opening,
           count(DISTINCT customer) FILTER (WHERE closes_next_month) AS churned
    FROM sliced WHERE {where} GROUP BY ALL
)
SELECT s.month, CAST(s.key AS VARCHAR), s.customers, s.revenue, f.opening, f.churned
FROM stock AS s
LEFT JOIN flow AS f ON f.month = s.month AND f.key IS NOT DISTINCT FROM s.key
{month_clause}
ORDER BY s.month, s.key
"""  # noqa: S608 (whitelisted names, bound values)
        sql = base_sql(with_product=with_product) + tail
        month = parse_month(filters.get("month"))
        if month is not None:
            params["month"] = month
        return [
            KpiRow(
                month=month,
                key=key_value,
                customers=int(customers),
                revenue=float(revenue or 0.0),
                opening_customers=None if opening is None else int(opening),
                churned=None if churned is None else int(churned),
            )
            for month, key_value, customers, revenue, opening, churned in self.fetch(
                sql, params
            )
        ]

    def clv_summary(self, filters: dict[str, str] | None = None) -> ClvSummary:
        """Mean CLV of the slice's customers live at the end of the latest month
        (CLV is as of the run: a month filter does not apply)."""
        where, params = filter_clause(filters or {}, skip=("month",))
        with_product = "product" in (filters or {})
        tail = f"""
SELECT count(clv.clv), avg(clv.clv)
FROM read_parquet($clv) AS clv
WHERE clv.customer IN (
    SELECT customer FROM sliced
    WHERE {where} AND month = (SELECT max(month) FROM fact)
)
"""  # noqa: S608 (whitelisted names, bound values)
        sql = base_sql(with_product=with_product) + tail
        count, mean = self.fetch(sql, params)[0]
        return ClvSummary(customers=int(count), mean_clv=mean)

    def dimension_values(
        self, dimension: str, filters: dict[str, str] | None = None
    ) -> list[str]:
        """The values ``dimension`` takes (within ``filters``), for the slicer."""
        column = check_dimension(dimension)
        filters = {k: v for k, v in (filters or {}).items() if k != dimension}
        where, params = filter_clause(filters, skip=("month",))
        with_product = column == "product" or "product" in filters
        tail = f"""
SELECT DISTINCT CAST({column} AS VARCHAR) AS value FROM sliced
WHERE {column} IS NOT NULL AND {where}
ORDER BY value
"""  # noqa: S608 (whitelisted names, bound values)
        sql = base_sql(with_product=with_product) + tail
        return [value for (value,) in self.fetch(sql, params)]

    def matrix(self, filters: dict[str, str] | None = None) -> list[MatrixCell]:
        """The nine value x risk cells: customers and their 12-month revenue
        (``customer_value.revenue``), within the slice's customers of the latest
        month. Every cell is returned, empty ones with zeros."""
        where, params = filter_clause(filters or {}, skip=("month",))
        with_product = "product" in (filters or {})
        tail = f"""
SELECT r.value_band, r.risk_band, count(*), coalesce(sum(v.revenue), 0.0)
FROM read_parquet($results) AS r
LEFT JOIN read_parquet($value) AS v USING (customer)
WHERE r.value_band IS NOT NULL AND r.risk_band IS NOT NULL
  AND r.customer IN (
      SELECT customer FROM sliced
      WHERE {where} AND month = (SELECT max(month) FROM fact)
  )
GROUP BY ALL
"""  # noqa: S608 (whitelisted names, bound values)
        sql = base_sql(with_product=with_product) + tail
        none = (0, 0.0)
        found = {
            (value_band, risk_band): (int(count), float(revenue))
            for value_band, risk_band, count, revenue in self.fetch(sql, params)
        }
        return [
            MatrixCell(value_band, risk_band, *found.get((value_band, risk_band), none))
            for value_band in reversed(BANDS)
            for risk_band in BANDS
        ]

    def cell_customers(self, value_band: str, risk_band: str) -> list[CellCustomer]:
        """The customers of one cell, highest 12-month revenue first."""
        sql = """
SELECT r.customer, r.churn_probability, r.value_score, v.revenue
FROM read_parquet($results) AS r
LEFT JOIN read_parquet($value) AS v USING (customer)
WHERE r.value_band = $value_band AND r.risk_band = $risk_band
ORDER BY v.revenue DESC NULLS LAST, r.customer
"""
        rows = self.fetch(sql, {"value_band": value_band, "risk_band": risk_band})
        return [CellCustomer(*row) for row in rows]


def filter_clause(
    filters: dict[str, str], *, skip: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any]]:
    """``column = $f_column`` for each filter (names checked, values bound)."""
    conditions = ["TRUE"]
    params: dict[str, Any] = {}
    for name, value in filters.items():
        column = check_dimension(name)
        if column in skip:
            continue
        conditions.append(f"CAST({column} AS VARCHAR) = $f_{column}")
        params[f"f_{column}"] = value
    return " AND ".join(conditions), params


def parse_month(value: str | None) -> dt.date | None:
    """``2026-09`` or ``2026-09-01`` as the month's first day; ValueError if not."""
    if not value:
        return None
    parsed = dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    return parsed.replace(day=1)
