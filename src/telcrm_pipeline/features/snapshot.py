"""The customer-month snapshot the churn model learns from, and its labels.

``customer_month_features`` joins, per customer live at the end of month M (the grain
of ``features.customer``), the usage from the CDRs (``customer_month_usage``), the
account features (``account_month_features``) and, optionally, the call-graph features
(``graph_month_features``). Every part is point in time, so the whole row for M uses
nothing dated after the last day of M.

``churn_labels`` says, from the operational records only, whether a customer live at
the end of M closed during M+1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from telcrm_pipeline.features.customer import (
    account_month_features,
    calendar,
    left_attach,
    live_customers,
    month_table,
    operator_tables,
)
from telcrm_pipeline.features.graph import graph_month_features
from telcrm_pipeline.features.usage import customer_month_usage, line_month_usage
from telcrm_pipeline.operator_data import OperatorData

GRAPH_COLUMNS = (
    "on_net_contacts_3m", "churned_contacts_3m", "churned_contact_share",
    "contact_events_3m", "churned_contact_events_3m", "influence",
)  # fmt: skip


def access_lines(lines: ir.Table) -> ir.Table:
    """Lines that carry traffic (add-ons left out), in the shape the usage and graph
    expressions read: ``service_no``, ``customer``, ``start_date``, ``end_date``."""
    return lines.filter(lines.offer_kind != "addon").select(
        "service_no", "customer", "start_date", "end_date"
    )


def cdr_months(cdr: ir.Table) -> ir.Table:
    """The calendar months the CDRs cover (one ``month`` column)."""
    return cdr.select(month=cdr.start_time.truncate("M").cast("date")).distinct()


def customer_month_features(
    con: Any,
    data: OperatorData,
    cdr: ir.Table,
    *,
    graph: bool = True,
    months: Iterable[dt.date] | None = None,
) -> ir.Table:
    """One row per customer live at the end of M, for the months of the CDRs (or
    ``months``): usage, account and (with ``graph``) call-graph features.

    ``con`` is the backend ``cdr`` lives on; the operator tables travel to it as
    in-memory tables when the expression runs. Usage counts are 0 in a month without
    CDRs; ``days_since_last_event`` is then null.
    """
    del con  # the expression runs wherever ``cdr`` lives
    tables = operator_tables(data)
    month_list = cdr_months(cdr) if months is None else month_table(months)
    lines = access_lines(tables["lines"])
    accounts = account_month_features(tables, month_list)
    numbers = lines.select("service_no").distinct()
    usage = customer_month_usage(line_month_usage(cdr, numbers), lines)
    usage = usage.mutate(month=usage.month.cast("date"))
    measures = [
        c for c in usage.columns if c not in ("customer", "month", "last_event_at")
    ]
    joined = left_attach(accounts, usage, [*measures, "last_event_at"])
    month_end = joined.month + ibis.interval(months=1) - ibis.interval(days=1)
    snapshot = joined.mutate(
        **{name: joined[name].fill_null(0) for name in measures},
        days_since_last_event=month_end.delta(joined.last_event_at.date(), unit="day"),
    ).drop("last_event_at")
    if not graph:
        return snapshot
    contacts = graph_month_features(cdr, lines, tables["customers"], month_list)
    with_graph = left_attach(snapshot, contacts, GRAPH_COLUMNS)
    return with_graph.mutate(
        **{name: with_graph[name].fill_null(0) for name in GRAPH_COLUMNS}
    )


def labelled_months(bills: ir.Table) -> ir.Table:
    """Months M whose next month is fully observed: the operator billed period M+1
    (bills are issued after their period ends)."""
    periods = bills.select(period=bills.period.cast("date")).distinct()
    return periods.select(month=periods.period - ibis.interval(months=1))


def churn_labels(con: Any, data: OperatorData) -> ir.Table:
    """``customer``, ``month``, ``churned_next_month`` (1 when the customer, live at the
    end of M, closed during M+1; else 0) for every month whose next month is fully
    observed. Read from ``customers.status``/``status_date`` only, never from truth
    files."""
    del con  # in-memory tables: the expression runs on any backend
    tables = operator_tables(data)
    months = labelled_months(tables["bills"])
    grain = live_customers(tables["customers"], tables["lines"], months).select(
        "customer", "month"
    )
    cal = calendar(months).select("month", "next_month")
    customers = tables["customers"]
    known = grain.join(cal, "month").join(customers, "customer")
    after_next = known.next_month + ibis.interval(months=1)
    churned = (
        (known.status == "closed")
        & (known.status_date >= known.next_month)
        & (known.status_date < after_next)
    )
    return known.select(
        "customer",
        "month",
        churned_next_month=ibis.ifelse(churned, 1, 0),
    )
