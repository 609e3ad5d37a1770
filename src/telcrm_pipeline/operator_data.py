"""The operator's records the analytics pipeline reads, besides the CDR store.

One contract, ``OPERATOR_SCHEMAS``: a table name and its typed columns. Two producers
fill it: ``operator_data_from_silos`` (the source files as ``telcrm generate`` writes
them; used by the pipeline's own tests and benchmarks) and the web app's export from
the operational store (``telcrm pipeline run``), where ``customer`` is the customer
number after identity linkage. The pipeline stages never read anything else, so they
run the same on either.

Every table keys its rows to ``customer`` (a customer number). Times are local
wall-clock times without a zone, as the silos and the CDRs record them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OPERATOR_SCHEMAS: dict[str, pa.Schema] = {
    # One row per customer (merged duplicates left out).
    "customers": pa.schema(
        [
            ("customer", pa.string()),
            ("customer_type", pa.string()),  # individual | organization
            ("customer_since", pa.date32()),
            ("channel", pa.string()),
            ("status", pa.string()),  # active | suspended | closed
            ("status_date", pa.date32()),
            ("province", pa.string()),
            ("city", pa.string()),
        ]
    ),
    # Every subscription: access lines, broadband and add-ons.
    "lines": pa.schema(
        [
            ("service_no", pa.string()),
            ("customer", pa.string()),
            ("account", pa.string()),
            ("offer_code", pa.string()),
            ("line_of_business", pa.string()),  # mobile_prepaid, broadband, vas, ...
            ("offer_kind", pa.string()),  # plan | bundle | addon
            ("monthly_fee", pa.float64()),
            ("contract_months", pa.int32()),
            ("start_date", pa.date32()),
            ("contract_end", pa.date32()),
            ("status", pa.string()),
            ("end_date", pa.date32()),
        ]
    ),
    "accounts": pa.schema(
        [
            ("account", pa.string()),
            ("customer", pa.string()),
            ("pay_method", pa.string()),
            ("credit_class", pa.string()),
            ("opened_date", pa.date32()),
        ]
    ),
    # ``period`` is the first day of the billed month.
    "bills": pa.schema(
        [
            ("bill_no", pa.string()),
            ("account", pa.string()),
            ("customer", pa.string()),
            ("period", pa.date32()),
            ("issue_date", pa.date32()),
            ("due_date", pa.date32()),
            ("amount", pa.float64()),
        ]
    ),
    "bill_items": pa.schema(
        [
            ("bill_no", pa.string()),
            ("customer", pa.string()),
            ("period", pa.date32()),
            ("service_no", pa.string()),
            ("charge_type", pa.string()),
            ("amount", pa.float64()),
        ]
    ),
    # Bill payments (``bill_no`` set) and prepaid top-ups (``bill_no`` null).
    "payments": pa.schema(
        [
            ("payment_no", pa.string()),
            ("account", pa.string()),
            ("customer", pa.string()),
            ("bill_no", pa.string()),
            ("paid_at", pa.timestamp("us")),
            ("amount", pa.float64()),
            ("method", pa.string()),
        ]
    ),
    # Service tickets: complaints, inquiries and requests.
    "tickets": pa.schema(
        [
            ("ticket_no", pa.string()),
            ("customer", pa.string()),
            ("service_no", pa.string()),
            ("kind", pa.string()),
            ("category", pa.string()),
            ("opened_at", pa.timestamp("us")),
            ("closed_at", pa.timestamp("us")),
            ("satisfaction", pa.int32()),
        ]
    ),
}


@dataclass(frozen=True)
class OperatorData:
    """The tables of ``OPERATOR_SCHEMAS``, each of exactly its schema."""

    tables: dict[str, pa.Table]

    def __post_init__(self) -> None:
        missing = set(OPERATOR_SCHEMAS) - set(self.tables)
        if missing:
            raise ValueError(
                f"operator data lacks table(s): {', '.join(sorted(missing))}"
            )
        for name, schema in OPERATOR_SCHEMAS.items():
            got = self.tables[name].schema
            if not got.equals(schema):
                raise ValueError(
                    f"operator table {name!r} has columns {got.names} of types "
                    f"{[str(t) for t in got.types]}, expected {schema}"
                )

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]

    def write(self, directory: Path) -> None:
        """One Parquet file per table: ``DIR/<name>.parquet``."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables.items():
            pq.write_table(table, directory / f"{name}.parquet")

    @classmethod
    def read(cls, directory: Path) -> OperatorData:
        return cls(
            {
                name: pq.read_table(directory / f"{name}.parquet", schema=schema)
                for name, schema in OPERATOR_SCHEMAS.items()
            }
        )

    @classmethod
    def from_arrow(cls, tables: dict[str, pa.Table]) -> OperatorData:
        """Cast producer tables (columns in any order) to the contract's schemas."""
        return cls(
            {
                name: tables[name].select(schema.names).cast(schema)
                for name, schema in OPERATOR_SCHEMAS.items()
            }
        )


def lines_live_on(lines: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The rows of the ``lines`` table (as pandas) held on ``day``: started by then
    and not yet ended."""
    return lines[
        (lines["start_date"] <= day)
        & (lines["end_date"].isna() | (lines["end_date"] > day))
    ]


# The silo files as ``telcrm generate`` writes them (docs/silos.md). A billing account
# belongs to the CRM customer whose subscriptions it pays, else to its ``cust_ref``.
_SILO_QUERIES = {
    "customers": """
        SELECT c.cust_no AS customer, c.cust_type AS customer_type,
            CAST(c.customer_since AS DATE) AS customer_since, c.channel, c.status,
            CAST(NULLIF(c.status_date, '') AS DATE) AS status_date,
            a.province, a.city
        FROM crm_customers c
        LEFT JOIN (
            SELECT cust_no, any_value(province) AS province, any_value(city) AS city
            FROM crm_contacts WHERE kind = 'address' AND is_primary = '1'
            GROUP BY cust_no
        ) a USING (cust_no)
    """,
    "lines": """
        SELECT s.service_no, s.cust_no AS customer, s.acct_no AS account, s.offer_code,
            o.line_of_business, o.kind AS offer_kind,
            CAST(o.monthly_fee AS DOUBLE) AS monthly_fee,
            CAST(o.contract_months AS INTEGER) AS contract_months,
            CAST(s.start_date AS DATE) AS start_date,
            CAST(NULLIF(s.contract_end, '') AS DATE) AS contract_end, s.status,
            CAST(NULLIF(s.end_date, '') AS DATE) AS end_date
        FROM crm_subscriptions s JOIN crm_offers o USING (offer_code)
    """,
    "accounts": """
        SELECT a.acct_no AS account, coalesce(o.customer, a.cust_ref) AS customer,
            a.pay_method, a.credit_class, CAST(a.opened_date AS DATE) AS opened_date
        FROM billing_accounts a LEFT JOIN account_owner o ON o.account = a.acct_no
    """,
    "bills": """
        SELECT b.bill_no, b.acct_no AS account, a.customer,
            CAST(b.period || '-01' AS DATE) AS period,
            CAST(b.issue_date AS DATE) AS issue_date,
            CAST(b.due_date AS DATE) AS due_date, CAST(b.amount AS DOUBLE) AS amount
        FROM billing_bills b JOIN accounts a ON a.account = b.acct_no
    """,
    "bill_items": """
        SELECT i.bill_no, b.customer, b.period, i.service_no, i.charge_type,
            CAST(i.amount AS DOUBLE) AS amount
        FROM billing_bill_items i JOIN bills b USING (bill_no)
    """,
    "payments": """
        SELECT p.payment_no, p.acct_no AS account, a.customer,
            NULLIF(p.bill_no, '') AS bill_no,
            CAST(p.paid_at AS TIMESTAMP) AS paid_at,
            CAST(p.amount AS DOUBLE) AS amount, p.method
        FROM billing_payments p JOIN accounts a ON a.account = p.acct_no
    """,
    "tickets": """
        SELECT ticket_no, cust_no AS customer, NULLIF(service_no, '') AS service_no,
            kind, category, CAST(opened_at AS TIMESTAMP) AS opened_at,
            CAST(NULLIF(closed_at, '') AS TIMESTAMP) AS closed_at,
            CAST(NULLIF(satisfaction, '') AS INTEGER) AS satisfaction
        FROM complaints_tickets
    """,
}

_SILO_FILES = {
    "crm_customers": "crm/customers.csv",
    "crm_contacts": "crm/contacts.csv",
    "crm_subscriptions": "crm/subscriptions.csv",
    "crm_offers": "crm/offers.csv",
    "billing_accounts": "billing/accounts.csv",
    "billing_bills": "billing/bills.csv",
    "billing_bill_items": "billing/bill_items.csv",
    "billing_payments": "billing/payments.csv",
    "complaints_tickets": "complaints/tickets.csv",
}


def operator_data_from_silos(silos: Path) -> OperatorData:
    """Read the operator's tables straight from its silo files (UTF-8 CSV)."""
    with duckdb.connect() as con:
        for view, relative in _SILO_FILES.items():
            relation = con.read_csv(
                str(silos / relative), all_varchar=True, header=True
            )
            relation.create_view(view)
        con.execute(
            "CREATE VIEW account_owner AS SELECT acct_no AS account, "
            "min(cust_no) AS customer FROM crm_subscriptions GROUP BY acct_no"
        )
        tables: dict[str, pa.Table] = {}
        for name in ("customers", "lines", "accounts", "bills", "bill_items",
                     "payments", "tickets"):  # fmt: skip
            tables[name] = con.execute(_SILO_QUERIES[name]).to_arrow_table()
            # Later queries read the earlier results (bills need account owners).
            con.register(name, tables[name])
    return OperatorData.from_arrow(tables)
