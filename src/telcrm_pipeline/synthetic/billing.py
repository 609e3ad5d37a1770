"""The billing system: accounts, monthly bills (fees + CDR charges), payments.

Every bill item of a usage type is the sum of that line's CDR charges of the month,
so bills reconcile exactly with the CDR files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import catalog, names
from telcrm_pipeline.synthetic.behaviour import Events
from telcrm_pipeline.synthetic.cdr import CHARGE_TYPES
from telcrm_pipeline.synthetic.config import SECONDS_PER_DAY, GeneratorConfig
from telcrm_pipeline.synthetic.lines import VAS, Lines
from telcrm_pipeline.synthetic.population import Customers
from telcrm_pipeline.synthetic.usage import LineBook
from telcrm_pipeline.synthetic.writer import days, money, times

ITEM_TYPES = ("monthly_fee", *CHARGE_TYPES, "vas", "discount", "late_fee")
PAY_METHODS = ("cash", "bank_debit", "alipay", "wechat", "prepaid")
DUE_AFTER_ISSUE = 19


@dataclass
class Items:
    """Bill items as columns: account, month, line (-1 account level), type, cents."""

    account: np.ndarray
    month: np.ndarray
    line: np.ndarray
    item_type: np.ndarray
    cents: np.ndarray

    @staticmethod
    def join(parts: list[Items]) -> Items:
        """Concatenate item batches."""
        return Items(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in Items.__dataclass_fields__
            )
        )


def fee_items(config: GeneratorConfig, lines: Lines) -> Items:
    """Monthly fees (pro rata for part months), add-ons and bundle discounts."""
    calendar = config.calendar
    fee = np.round(catalog.offer_attribute("monthly_fee")[lines.offer] * 100)
    parts = []
    for month in range(calendar.n_months):
        first, after = (
            calendar.month_first_day(month),
            calendar.month_first_day(month + 1),
        )
        active_days = np.minimum(lines.end_day, after) - np.maximum(
            lines.start_day, first
        )
        live = np.flatnonzero(active_days > 0)
        cents = np.round(fee[live] * active_days[live] / (after - first)).astype(
            np.int64
        )
        kind = np.where(lines.kind[live] == VAS, ITEM_TYPES.index("vas"), 0)
        parts.append(
            Items(lines.customer[live], np.full(len(live), month), live, kind, cents)
        )
        bundled = live[lines.in_bundle[live]]
        discount = -cents[lines.in_bundle[live]]
        parts.append(
            Items(
                lines.customer[bundled],
                np.full(len(bundled), month),
                bundled,
                np.full(len(bundled), ITEM_TYPES.index("discount")),
                discount,
            )
        )
    return Items.join(parts)


def usage_items(book: LineBook, lines: Lines, charges: list[np.ndarray]) -> Items:
    """One item per line, month and usage charge type: the sum of its CDR charges."""
    parts = []
    for month, matrix in enumerate(charges):
        position, charge_type = np.divmod(np.flatnonzero(matrix), len(CHARGE_TYPES))
        line = book.mobile[position]
        cents = matrix[position * len(CHARGE_TYPES) + charge_type].astype(np.int64)
        parts.append(
            Items(
                lines.customer[line],
                np.full(len(line), month),
                line,
                charge_type + 1,
                cents,
            )
        )
    return (
        Items.join(parts)
        if parts
        else Items(*(np.zeros(0, np.int64) for _ in range(5)))
    )


def late_fee_items(events: Events, bill_cents: np.ndarray) -> Items:
    """A late fee on the next bill: 5 % of the late bill, at least one yuan."""
    account, month = np.nonzero(events.late_months[:, :-1] & (bill_cents[:, :-1] > 0))
    cents = np.maximum(100, np.round(bill_cents[account, month] * 0.05)).astype(
        np.int64
    )
    return Items(
        account,
        month + 1,
        np.full(len(account), -1),
        np.full(len(account), ITEM_TYPES.index("late_fee")),
        cents,
    )


def all_items(
    config: GeneratorConfig,
    lines: Lines,
    book: LineBook,
    events: Events,
    charges: list[np.ndarray],
) -> Items:
    """Every bill item, ordered by account, month, line and type."""
    items = Items.join([fee_items(config, lines), usage_items(book, lines, charges)])
    totals = bill_totals(items, len(events.default_month), config.months)
    items = Items.join([items, late_fee_items(events, totals)])
    order = np.lexsort((items.item_type, items.line, items.month, items.account))
    return Items(*(getattr(items, f)[order] for f in Items.__dataclass_fields__))


def bill_totals(items: Items, n_accounts: int, months: int) -> np.ndarray:
    """(accounts, months) matrix of bill amounts in cents."""
    key = items.account * months + items.month
    return np.bincount(key, weights=items.cents, minlength=n_accounts * months).reshape(
        n_accounts, months
    )


def bill_keys(items: Items, months: int) -> tuple[np.ndarray, np.ndarray]:
    """The (account, month) of every bill: those with at least one item."""
    key = np.unique(items.account * months + items.month)
    return key // months, key % months


def bill_numbers(
    config: GeneratorConfig, account: np.ndarray, month: np.ndarray
) -> pa.Array:
    """``B`` + period + account sequence, unique per account and month."""
    period = np.array(
        [int(config.calendar.period(m).replace("-", "")) for m in range(config.months)]
    )
    return names.join("B", names.as_text(period[month]), names.zero_padded(account, 9))


def issue_days(config: GeneratorConfig, month: np.ndarray) -> np.ndarray:
    """Bills are issued on the first day of the following month."""
    return np.array(
        [config.calendar.month_first_day(m + 1) for m in range(config.months)]
    )[month]


def payment_rows(
    config: GeneratorConfig,
    customers: Customers,
    events: Events,
    account: np.ndarray,
    month: np.ndarray,
    cents: np.ndarray,
) -> dict[str, np.ndarray]:
    """Payments: on time mostly, late for the late months, none once in default.

    Prepaid accounts top up during the month instead, in round amounts.
    """
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(9, 1)))
    issue = issue_days(config, month)
    late = events.late_months[account, month]
    unpaid = (events.default_month[account] >= 0) & (
        month >= events.default_month[account]
    )
    prepaid = customers.prepaid[account]
    day = np.where(
        late,
        issue + DUE_AFTER_ISSUE + rng.integers(1, 26, len(account)),
        issue + rng.integers(0, DUE_AFTER_ISSUE + 1, len(account)),
    )
    month_start = np.array(
        [config.calendar.month_first_day(m) for m in range(config.months)]
    )[month]
    day = np.where(prepaid, month_start + rng.integers(0, 25, len(account)), day)
    amount = np.where(prepaid, np.ceil(cents / 5000) * 5000, cents).astype(np.int64)
    paid = ~unpaid & (amount > 0)
    second = (config.calendar.epoch_day + day) * SECONDS_PER_DAY + rng.integers(
        8 * 3600, 22 * 3600, len(account)
    )
    return {"paid": paid, "second": second, "amount": amount, "prepaid": prepaid}


def bills_table(
    config: GeneratorConfig,
    account: np.ndarray,
    month: np.ndarray,
    cents: np.ndarray,
    acct_no: pa.Array,
) -> pa.Table:
    """``billing/bills.csv``."""
    issue = issue_days(config, month)
    periods = pa.array([config.calendar.period(m) for m in range(config.months)])
    return pa.table(
        {
            "bill_no": bill_numbers(config, account, month),
            "acct_no": acct_no.take(pa.array(account)),
            "period": periods.take(pa.array(month)),
            "issue_date": days(issue, config.calendar.epoch_day),
            "due_date": days(issue + DUE_AFTER_ISSUE, config.calendar.epoch_day),
            "amount": money(cents),
        }
    )


def bill_items_table(
    config: GeneratorConfig, items: Items, service_no: pa.Array
) -> pa.Table:
    """``billing/bill_items.csv``."""
    line = items.line
    service = service_no.take(pa.array(line.clip(0), mask=line < 0))
    return pa.table(
        {
            "bill_no": bill_numbers(config, items.account, items.month),
            "service_no": service,
            "charge_type": pa.array(ITEM_TYPES).take(pa.array(items.item_type)),
            "amount": money(items.cents),
        }
    )


def payments_table(
    config: GeneratorConfig,
    account: np.ndarray,
    month: np.ndarray,
    rows: dict[str, np.ndarray],
    acct_no: pa.Array,
    pay_method: np.ndarray,
) -> pa.Table:
    """``billing/payments.csv``, ordered by payment time."""
    keep = np.flatnonzero(rows["paid"])
    keep = keep[np.argsort(rows["second"][keep], kind="stable")]
    bill = bill_numbers(config, account[keep], month[keep])
    prepaid = rows["prepaid"][keep]
    return pa.table(
        {
            "payment_no": names.join(
                "P", names.zero_padded(np.arange(1, len(keep) + 1), 10)
            ),
            "acct_no": acct_no.take(pa.array(account[keep])),
            "bill_no": pc.if_else(
                pa.array(prepaid), pa.scalar(None, pa.string()), bill
            ),
            "paid_at": times(rows["second"][keep]),
            "amount": money(rows["amount"][keep]),
            "method": pa.array(PAY_METHODS).take(pa.array(pay_method[account[keep]])),
        }
    )
