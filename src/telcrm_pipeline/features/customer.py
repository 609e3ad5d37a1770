"""Account features per customer and month, from the operator's records.

Inputs are the tables of ``OPERATOR_SCHEMAS`` as Ibis tables (``operator_tables``) and
a table of months (``month_table``: one ``month`` column, first days of months). The
expressions run on DuckDB and on Spark alike.

Grain: one row per customer live at the end of month M: ``customer_since`` on or before
the end of M, not closed on or before the end of M, and holding at least one line that
started on or before the end of M and had not ended by then (``end_date`` null or after
the end of M).

Point in time: a row for month M uses nothing dated after the last day of M.

* Bills are issued on the 1st of the month after their period, so the bill for
  period M is not known at the end of M: the **latest known bill is period M-1**
  (only bills with ``issue_date`` on or before the end of M are read).
* A bill's payments count only when paid by the end of M; a bill is late when its due
  date is by the end of M and it was paid after the due date or is still not fully
  paid at the end of M.
* Tickets count when opened by the end of M; a ticket is open at month end when it was
  not closed by then; satisfaction counts when its ticket closed by the end of M.
* Lines count as held at month end from their start and end dates (never their current
  status); ``customers.status`` is read only as "closed on ``status_date``".

Two columns are current snapshots, because the contract keeps no history of them: the
customer's ``customer_type`` and ``channel`` (fixed at sign-up), and the account's
``pay_method`` and ``credit_class``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from telcrm_pipeline.operator_data import OperatorData

LINES_OF_BUSINESS = (
    "mobile_postpaid", "mobile_prepaid", "broadband", "fixed_line", "vas",
)  # fmt: skip

# Bill item charge types grouped into the components of a bill.
BILL_COMPONENTS: dict[str, tuple[str, ...]] = {
    "bill_fees": ("monthly_fee",),
    "bill_usage": ("local_voice", "long_distance", "sms", "data", "info_service"),
    "bill_international": ("international",),
    "bill_roaming": ("roaming",),
    "bill_vas": ("vas",),
    "bill_discount": ("discount",),
    "bill_late_fee": ("late_fee",),
}

# A bill is fully paid when its payments reach its amount (to the cent).
PAID_TOLERANCE = 0.005

# Counts that are zero, not missing, when a customer has no such record.
ZERO_WHEN_ABSENT = (
    "late_payments_3m", "bills_due_3m", "arrears", "topups", "topup_amount",
    "complaints", "complaints_3m", "tickets_3m", "port_out_queries_3m",
    "open_tickets",
)  # fmt: skip


def operator_tables(data: OperatorData) -> dict[str, ir.Table]:
    """The operator's tables as in-memory Ibis tables (they travel to whichever backend
    executes the expression).

    Integer columns with missing values (``tickets.satisfaction``) become floats: an
    in-memory table reaches Spark through pandas, where such a column arrives as
    floats with NaN that Spark cannot load into its integer type (every value came
    out null); features read them as floats and skip NaN.
    """
    return {
        name: ibis.memtable(_nullable_integers_as_floats(table))
        for name, table in data.tables.items()
    }


def _nullable_integers_as_floats(table: pa.Table) -> pa.Table:
    for index, column in enumerate(table.columns):
        if pa.types.is_integer(column.type) and column.null_count:
            table = table.set_column(
                index, table.field(index).name, column.cast(pa.float64())
            )
    return table


def month_table(months: Iterable[dt.date]) -> ir.Table:
    """A table of months (their first days) in one ``month`` column."""
    firsts = sorted({m.replace(day=1) for m in months})
    return ibis.memtable(pa.table({"month": pa.array(firsts, pa.date32())}))


def calendar(months: ir.Table) -> ir.Table:
    """Each month with the dates its features are bounded by.

    ``next_month`` (exclusive end of M), ``window_start`` (first day of M-2: "the last
    3 months" are M-2, M-1 and M), ``previous_month`` (the period of the latest known
    bill), and the same bounds as timestamps for the tables that record times.
    """
    month = months.month.cast("date")
    next_month = month + ibis.interval(months=1)
    window_start = month - ibis.interval(months=2)
    return months.select(
        month=month,
        next_month=next_month,
        window_start=window_start,
        previous_month=month - ibis.interval(months=1),
        month_at=month.cast("timestamp"),
        next_month_at=next_month.cast("timestamp"),
        window_start_at=window_start.cast("timestamp"),
    )


def months_apart(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Calendar months from ``earlier`` to ``later`` (days ignored)."""
    return (later.year() * 12 + later.month()) - (earlier.year() * 12 + earlier.month())


def live_lines(lines: ir.Table, months: ir.Table) -> ir.Table:
    """Every (month, line) where the line was held at the end of the month."""
    cal = calendar(months)
    held = cal.join(
        lines,
        [
            lines.start_date < cal.next_month,
            lines.end_date.isnull() | (lines.end_date >= cal.next_month),
        ],
    )
    return held.select(
        "month", "next_month", "customer", "line_of_business", "monthly_fee",
        "contract_end",
    )  # fmt: skip


def line_features(lines: ir.Table, months: ir.Table) -> ir.Table:
    """Per customer and month: live lines by line of business, their total monthly
    fee, and the months left until the earliest contract end after M (null: none)."""
    held = live_lines(lines, months)
    ahead = held.contract_end >= held.next_month
    counts = {
        f"{lob}_lines": held.count(where=held.line_of_business == lob)
        for lob in LINES_OF_BUSINESS
    }
    per_customer = held.group_by(["customer", "month"]).aggregate(
        lines_live=held.count(),
        **counts,
        monthly_fee_total=held.monthly_fee.sum(),
        next_contract_end=held.contract_end.min(where=ahead),
    )
    return per_customer.mutate(
        contract_months_left=months_apart(
            per_customer.next_contract_end, per_customer.month
        )
    ).drop("next_contract_end")


def live_customers(customers: ir.Table, lines: ir.Table, months: ir.Table) -> ir.Table:
    """The grain: (customer, month) for customers live at the end of M, with their
    tenure in months and their sign-up attributes."""
    cal = calendar(months)
    signed = cal.join(
        customers,
        [
            customers.customer_since < cal.next_month,
            ~(
                (customers.status == "closed")
                & (customers.status_date < cal.next_month)
            ),
        ],
    )
    signed = signed.select(
        "customer",
        "month",
        tenure_months=months_apart(signed.month, signed.customer_since),
        customer_type=signed.customer_type,
        channel=signed.channel,
    )
    with_lines = line_features(lines, months)
    return signed.join(with_lines, ["customer", "month"])


def account_attributes(accounts: ir.Table) -> ir.Table:
    """One pay method and credit class per customer (the smallest, when several
    accounts disagree: deterministic on every backend)."""
    return accounts.group_by("customer").aggregate(
        pay_method=accounts.pay_method.min(),
        credit_class=accounts.credit_class.min(),
    )


def bill_features(bills: ir.Table, bill_items: ir.Table, months: ir.Table) -> ir.Table:
    """The latest known bill (period M-1, issued by the end of M): its amount and its
    components by charge type, summed over the customer's accounts."""
    cal = calendar(months)
    known = cal.join(
        bills,
        [
            bills.period == cal.previous_month,
            bills.issue_date < cal.next_month,
        ],
    ).select("month", "customer", "bill_no", "amount")
    totals = known.group_by(["customer", "month"]).aggregate(
        bill_amount=known.amount.sum()
    )
    items = known.select("month", "customer", "bill_no").join(
        bill_items.select("bill_no", "charge_type", item_amount="amount"), "bill_no"
    )
    parts = items.group_by(["customer", "month"]).aggregate(
        **{
            name: items.item_amount.sum(where=items.charge_type.isin(types))
            for name, types in BILL_COMPONENTS.items()
        }
    )
    return left_attach(totals, parts, BILL_COMPONENTS, zero=True)


def settled_bills(bills: ir.Table, payments: ir.Table, months: ir.Table) -> ir.Table:
    """Every (month, bill) due by the end of M, with what was paid by then."""
    cal = calendar(months)
    due = cal.join(bills, bills.due_date < cal.next_month).select(
        "month", "window_start", "next_month", "next_month_at", "customer", "bill_no",
        "due_date", "amount",
    )  # fmt: skip
    paid = payments.filter(payments.bill_no.notnull()).select(
        paid_bill="bill_no", paid_at="paid_at", paid_amount="amount"
    )
    joined = due.left_join(
        paid,
        [due.bill_no == paid.paid_bill, paid.paid_at < due.next_month_at],
    )
    per_bill = joined.group_by(
        ["month", "window_start", "next_month", "customer", "bill_no", "due_date",
         "amount"]
    ).aggregate(
        paid=joined.paid_amount.sum().fill_null(0.0),
        last_paid_on=joined.paid_at.max().date(),
    )  # fmt: skip
    fully_paid = per_bill.paid >= per_bill.amount - PAID_TOLERANCE
    settled_on = ibis.ifelse(
        fully_paid, per_bill.last_paid_on, per_bill.next_month - ibis.interval(days=1)
    )
    return per_bill.mutate(
        outstanding=ibis.greatest(per_bill.amount - per_bill.paid, 0.0),
        late=~fully_paid | (per_bill.last_paid_on > per_bill.due_date),
        days_late=ibis.greatest(settled_on.delta(per_bill.due_date, unit="day"), 0),
    )


def payment_features(bills: ir.Table, payments: ir.Table, months: ir.Table) -> ir.Table:
    """Late payments among the bills due in the last 3 months, the days late of the
    latest due bill, and arrears (what is overdue and unpaid at the end of M)."""
    per_bill = settled_bills(bills, payments, months)
    recent = per_bill.due_date >= per_bill.window_start
    latest_first = ibis.window(
        group_by=["customer", "month"],
        order_by=[ibis.desc("due_date"), ibis.desc("bill_no")],
    )
    ranked = per_bill.mutate(rank=ibis.row_number().over(latest_first))
    counts = per_bill.group_by(["customer", "month"]).aggregate(
        bills_due_3m=per_bill.count(where=recent),
        late_payments_3m=per_bill.count(where=recent & per_bill.late),
        arrears=per_bill.outstanding.sum(),
    )
    latest = ranked.filter(ranked.rank == 0).select(
        "customer", "month", days_late_latest="days_late"
    )
    return left_attach(counts, latest, ("days_late_latest",))


def topup_features(payments: ir.Table, months: ir.Table) -> ir.Table:
    """Prepaid top-ups (payments without a bill) made during M: count and amount."""
    cal = calendar(months)
    topups = payments.filter(payments.bill_no.isnull())
    during = cal.join(
        topups,
        [topups.paid_at >= cal.month_at, topups.paid_at < cal.next_month_at],
    )
    return during.group_by(["customer", "month"]).aggregate(
        topups=during.count(), topup_amount=during.amount.sum()
    )


def ticket_features(tickets: ir.Table, months: ir.Table) -> ir.Table:
    """Complaints in M and in the last 3 months, tickets and port-out queries in the
    last 3 months, tickets open at the end of M, and the mean satisfaction of the
    tickets closed in the last 3 months."""
    cal = calendar(months)
    seen = cal.join(tickets, tickets.opened_at < cal.next_month_at)
    complaint = seen.kind == "complaint"
    in_month = seen.opened_at >= seen.month_at
    recent = seen.opened_at >= seen.window_start_at
    closed_by_end = seen.closed_at.notnull() & (seen.closed_at < seen.next_month_at)
    closed_recently = closed_by_end & (seen.closed_at >= seen.window_start_at)
    # Missing scores may arrive as NaN on Spark (see operator_tables): skip them too.
    score = seen.satisfaction.cast("float64")
    rated = closed_recently & score.notnull() & ~score.isnan()
    return seen.group_by(["customer", "month"]).aggregate(
        complaints=seen.count(where=complaint & in_month),
        complaints_3m=seen.count(where=complaint & recent),
        tickets_3m=seen.count(where=recent),
        port_out_queries_3m=seen.count(
            where=recent & (seen.category == "port_out_query")
        ),
        open_tickets=seen.count(where=~closed_by_end),
        satisfaction_3m=score.mean(where=rated),
    )


def account_month_features(
    tables: Mapping[str, ir.Table], months: ir.Table
) -> ir.Table:
    """Per live customer and month (see the module's grain), the account features.

    ``tables``: Ibis tables with the columns of ``OPERATOR_SCHEMAS`` (at least
    ``customers``, ``lines``, ``accounts``, ``bills``, ``bill_items``, ``payments``,
    ``tickets``); ``months``: a ``month`` column (``month_table``).
    """
    grain = live_customers(tables["customers"], tables["lines"], months)
    grain = left_attach(
        grain,
        account_attributes(tables["accounts"]),
        ("pay_method", "credit_class"),
        keys=("customer",),
    )
    bills = bill_features(tables["bills"], tables["bill_items"], months)
    payments = payment_features(tables["bills"], tables["payments"], months)
    topups = topup_features(tables["payments"], months)
    tickets = ticket_features(tables["tickets"], months)
    for extra in (bills, payments, topups, tickets):
        measures = [c for c in extra.columns if c not in ("customer", "month")]
        grain = left_attach(grain, extra, measures)
    return grain.mutate(**{name: grain[name].fill_null(0) for name in ZERO_WHEN_ABSENT})


def left_attach(
    base: ir.Table,
    extra: ir.Table,
    columns: Iterable[str],
    *,
    keys: tuple[str, ...] = ("customer", "month"),
    zero: bool = False,
) -> ir.Table:
    """``base`` with ``columns`` of ``extra`` matched on ``keys`` (null, or 0 with
    ``zero``, where ``extra`` has no row)."""
    extra = extra.view()
    joined = base.left_join(extra, [base[k] == extra[k] for k in keys])
    wanted = list(columns)
    return joined.select(
        *[joined[c] for c in base.columns],
        **{c: joined[c].fill_null(0) if zero else joined[c] for c in wanted},
    )
