"""Customer value: what each customer brought in minus what they cost (R4).

``customer_value`` gives one row per customer alive at ``as_of``: the revenue of the
last ``months`` months (bills for postpaid accounts, top-ups for prepaid ones), each
cost component priced by ``CostRates``, the contribution and a value score. Every
amount is in the currency of the operator's tables (yuan in the generated operator).

The window is ``(as_of - months, as_of]``: a record counts when its own date (a bill's
issue date, a top-up's or a ticket's day, the customer's start) falls in it, so the
figures use only what was known on ``as_of``. docs/value-and-segments.md explains
the rates and how an operator sets its own.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from telcrm_pipeline.operator_data import OperatorData

#: Bill-item charge types that are usage (they carry network and interconnect cost).
USAGE_CHARGE_TYPES = frozenset(
    {
        "local_voice",
        "long_distance",
        "international",
        "roaming",
        "sms",
        "data",
        "info_service",
    }
)
#: An account paid by top-ups: its bills are statements, its revenue the top-ups.
PREPAID_PAY_METHOD = "prepaid"
#: Mean Gregorian month in days, to turn a stretch of days into months.
DAYS_PER_MONTH = 365.2425 / 12.0

VALUE_COLUMNS = (
    "customer",
    "customer_type",
    "channel",
    "prepaid",
    "exposure_months",
    "billed_revenue",
    "topup_revenue",
    "revenue",
    "usage_revenue",
    "acquisition_cost",
    "development_cost",
    "retention_cost",
    "service_cost",
    "bad_debt_cost",
    "network_cost",
    "total_cost",
    "contribution",
    "monthly_contribution",
    "loss_making",
    "value_score",
)


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class CostRates:
    """What acquiring, developing, retaining and serving a customer costs.

    Amounts are in the currency of the operator's tables (yuan); shares are
    fractions of revenue (0.05 = 5 %). The defaults are round figures for a Chinese
    mobile operator, chosen so that winning a customer (about 100) costs four times
    a retention contact (25), the ratio the source papers quote; replace them with
    the operator's own through ``from_mapping`` or ``from_file``.
    """

    #: One-off cost of winning a customer, by acquisition channel (dealer
    #: commission, handset subsidy, outlet time), charged when the customer started
    #: inside the window.
    acquisition_by_channel: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "business_hall": 100.0,
                "agent_dealer": 150.0,
                "app": 40.0,
                "web": 40.0,
                "call_centre": 80.0,
                "direct_sales": 600.0,
            }
        )
    )
    #: Acquisition cost for a channel not in ``acquisition_by_channel``.
    acquisition_flat: float = 100.0
    #: Development (up-sell, loyalty programme, customer marketing): share of revenue.
    development_share: float = 0.03
    #: Retention: cost of one retention contact (an outbound save call, a port-out
    #: query handled by the retention desk).
    retention_per_contact: float = 25.0
    #: Retention: loyalty discounts and points, as a share of revenue.
    retention_share: float = 0.02
    #: Ticket categories handled as retention contacts (the customer asks to leave).
    retention_ticket_categories: frozenset[str] = frozenset({"port_out_query"})
    #: Cost to handle one service ticket, by ticket kind (agent time, field visits).
    service_per_ticket: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"complaint": 30.0, "service_request": 15.0, "inquiry": 8.0}
        )
    )
    #: Ticket cost for a kind not in ``service_per_ticket``.
    service_per_ticket_default: float = 10.0
    #: A billed amount unpaid this many days after its due date counts as bad debt;
    #: 0 counts every overdue amount (arrears as a cost, the prudent view), 60-90
    #: follows a write-off policy.
    bad_debt_grace_days: int = 0
    #: Network and interconnect cost: share of usage revenue (calls, SMS, data,
    #: roaming, information services).
    network_share_of_usage: float = 0.30

    def __post_init__(self) -> None:
        shares = ("development_share", "retention_share", "network_share_of_usage")
        for name in shares:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"cost rate {name} must be a share in [0, 1], not {value}"
                )
        amounts = {
            "acquisition_flat": self.acquisition_flat,
            "retention_per_contact": self.retention_per_contact,
            "service_per_ticket_default": self.service_per_ticket_default,
            "bad_debt_grace_days": self.bad_debt_grace_days,
            **{
                f"acquisition_by_channel.{k}": v
                for k, v in self.acquisition_by_channel.items()
            },
            **{
                f"service_per_ticket.{k}": v for k, v in self.service_per_ticket.items()
            },
        }
        for name, value in amounts.items():
            if value < 0:
                raise ValueError(f"cost rate {name} must be >= 0, not {value}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> CostRates:
        """Rates from a parsed TOML/JSON mapping; keys are the field names.

        Missing keys keep their defaults. The by-channel and by-kind tables replace
        the defaults' entries they name and keep the others. Unknown keys raise
        ``ValueError`` naming them (a misspelt rate must not pass silently).
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(
                f"unknown cost rate(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in mapping.items():
            if name in ("acquisition_by_channel", "service_per_ticket"):
                merged = {
                    **getattr(defaults, name),
                    **{str(k): float(v) for k, v in value.items()},
                }
                values[name] = _frozen(merged)
            elif name == "retention_ticket_categories":
                values[name] = frozenset(str(v) for v in value)
            elif name == "bad_debt_grace_days":
                values[name] = int(value)
            else:
                values[name] = float(value)
        return cls(**values)

    @classmethod
    def from_file(cls, path: Path) -> CostRates:
        """Rates from a ``.toml`` or ``.json`` file (see ``from_mapping``)."""
        if path.suffix == ".toml":
            return cls.from_mapping(tomllib.loads(path.read_text(encoding="utf-8")))
        if path.suffix == ".json":
            return cls.from_mapping(json.loads(path.read_text(encoding="utf-8")))
        raise ValueError(f"{path}: cost rates must be a .toml or .json file")

    def acquisition_cost(self, channel: str | None) -> float:
        if channel is None:
            return self.acquisition_flat
        return self.acquisition_by_channel.get(channel, self.acquisition_flat)

    def ticket_cost(self, kind: str | None) -> float:
        if kind is None:
            return self.service_per_ticket_default
        return self.service_per_ticket.get(kind, self.service_per_ticket_default)


#: The documented defaults, for function signatures.
DEFAULT_RATES = CostRates()


@dataclass(frozen=True)
class _Window:
    """The dates ``(start, end]`` a record's own date must fall in."""

    start: pd.Timestamp
    end: pd.Timestamp

    def holds(self, days: pd.Series) -> pd.Series:
        stamps = pd.to_datetime(days).dt.normalize()
        return (stamps > self.start) & (stamps <= self.end)


def live_customers(data: OperatorData, as_of: date) -> pd.DataFrame:
    """Customers who had started by ``as_of`` and were not closed on or before it."""
    customers = data["customers"].to_pandas()
    end = pd.Timestamp(as_of)
    since = pd.to_datetime(customers["customer_since"])
    closed = (customers["status"] == "closed") & (
        pd.to_datetime(customers["status_date"]) <= end
    )
    return customers[(since <= end) & ~closed].reset_index(drop=True)


def prepaid_accounts(data: OperatorData) -> set[str]:
    accounts = data["accounts"].to_pandas()
    return set(accounts.loc[accounts["pay_method"] == PREPAID_PAY_METHOD, "account"])


def prepaid_customers(data: OperatorData) -> set[str]:
    """Customers with at least one prepaid account."""
    accounts = data["accounts"].to_pandas()
    return set(accounts.loc[accounts["pay_method"] == PREPAID_PAY_METHOD, "customer"])


def _sum_by_customer(frame: pd.DataFrame, column: str, index: pd.Index) -> pd.Series:
    sums = frame.groupby("customer")[column].sum().reindex(index, fill_value=0.0)
    return sums.astype("float64")  # an empty frame sums to objects


def _bills_in_window(data: OperatorData, window: _Window) -> pd.DataFrame:
    bills = data["bills"].to_pandas()
    return bills[window.holds(bills["issue_date"])]


def _usage_revenue(
    data: OperatorData, bill_nos: pd.Series, index: pd.Index
) -> pd.Series:
    items = data["bill_items"].to_pandas()
    usage = items[
        items["bill_no"].isin(bill_nos) & items["charge_type"].isin(USAGE_CHARGE_TYPES)
    ]
    return _sum_by_customer(usage, "amount", index)


def _topups_in_window(data: OperatorData, window: _Window) -> pd.DataFrame:
    payments = data["payments"].to_pandas()
    topups = payments[payments["bill_no"].isna()]
    return topups[window.holds(topups["paid_at"])]


def _outstanding_past_due(
    data: OperatorData, postpaid_bills: pd.DataFrame, as_of: date, grace_days: int
) -> pd.DataFrame:
    """Postpaid bills more than ``grace_days`` past due on ``as_of``, with what is
    still unpaid after the payments made up to ``as_of``."""
    end = pd.Timestamp(as_of)
    overdue_from = pd.to_datetime(postpaid_bills["due_date"]) + pd.Timedelta(
        days=grace_days
    )
    overdue = postpaid_bills[overdue_from < end].copy()
    payments = data["payments"].to_pandas()
    paid = payments[
        payments["bill_no"].notna()
        & (pd.to_datetime(payments["paid_at"]).dt.normalize() <= end)
    ]
    paid_by_bill = paid.groupby("bill_no")["amount"].sum()
    settled = overdue["bill_no"].map(paid_by_bill).fillna(0.0)
    overdue["outstanding"] = (overdue["amount"] - settled).clip(lower=0.0)
    return overdue


def _tickets_in_window(data: OperatorData, window: _Window) -> pd.DataFrame:
    tickets = data["tickets"].to_pandas()
    return tickets[window.holds(tickets["opened_at"])]


def _exposure_months(since: pd.Series, window: _Window, months: int) -> pd.Series:
    """Months of the window the customer was with us; at least one, so a customer
    of a few days is not divided into a huge monthly figure."""
    start = pd.to_datetime(since).where(
        pd.to_datetime(since) > window.start, window.start
    )
    exposed = (window.end - start).dt.days / DAYS_PER_MONTH
    return exposed.clip(lower=1.0, upper=float(months))


def percentile_score(values: pd.Series) -> pd.Series:
    """0 for the lowest value, 100 for the highest, ties share their mean rank."""
    if len(values) <= 1:
        return pd.Series(100.0, index=values.index)
    ranks = values.rank(method="average")
    return (ranks - 1.0) / (len(values) - 1.0) * 100.0


def customer_value(
    data: OperatorData,
    *,
    as_of: date,
    rates: CostRates = DEFAULT_RATES,
    months: int = 12,
    retention_contacts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per customer alive at ``as_of``: revenue, costs and contribution.

    Over the window ``(as_of - months, as_of]``:

    - ``billed_revenue``: bills issued to the customer's postpaid accounts;
      ``topup_revenue``: top-ups (payments without a bill) on prepaid accounts;
      ``revenue`` their sum; ``usage_revenue`` the usage charges on all the
      customer's bills and statements;
    - ``acquisition_cost``: the channel's rate if the customer started in the window;
    - ``development_cost`` and the share part of ``retention_cost``: shares of
      revenue; the contact part of ``retention_cost``: retention contacts (tickets of
      ``rates.retention_ticket_categories`` plus the rows of ``retention_contacts``,
      a frame of ``customer`` and ``contacted_at``) times the rate per contact;
    - ``service_cost``: tickets opened, priced by kind;
    - ``bad_debt_cost``: what is still unpaid on postpaid bills past due by more
      than the grace days;
    - ``network_cost``: share of usage revenue.

    ``contribution`` = revenue - ``total_cost``; ``monthly_contribution`` divides it
    by ``exposure_months`` (months of the window the customer was with us, at least
    1); ``loss_making`` flags a negative contribution; ``value_score`` is the
    percentile (0-100) of the monthly contribution among these customers.
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    end = pd.Timestamp(as_of)
    window = _Window(start=end - pd.DateOffset(months=months), end=end)
    customers = live_customers(data, as_of).set_index("customer")
    index = customers.index
    prepaid = prepaid_accounts(data)

    bills = _bills_in_window(data, window)
    postpaid_bills = bills[~bills["account"].isin(prepaid)]
    topups = _topups_in_window(data, window)
    topups = topups[topups["account"].isin(prepaid)]
    tickets = _tickets_in_window(data, window)

    frame = pd.DataFrame(index=index)
    frame["customer_type"] = customers["customer_type"]
    frame["channel"] = customers["channel"]
    frame["prepaid"] = index.isin(list(prepaid_customers(data)))
    frame["exposure_months"] = _exposure_months(
        customers["customer_since"], window, months
    )
    frame["billed_revenue"] = _sum_by_customer(postpaid_bills, "amount", index)
    frame["topup_revenue"] = _sum_by_customer(topups, "amount", index)
    frame["revenue"] = frame["billed_revenue"] + frame["topup_revenue"]
    frame["usage_revenue"] = _usage_revenue(data, bills["bill_no"], index)

    acquired = window.holds(customers["customer_since"])
    frame["acquisition_cost"] = np.where(
        acquired, customers["channel"].map(rates.acquisition_cost), 0.0
    )
    frame["development_cost"] = frame["revenue"] * rates.development_share
    contacts = _retention_contact_counts(
        tickets, retention_contacts, window, rates, index
    )
    frame["retention_cost"] = (
        contacts * rates.retention_per_contact
        + frame["revenue"] * rates.retention_share
    )
    ticket_costs = tickets.assign(cost=tickets["kind"].map(rates.ticket_cost))
    frame["service_cost"] = _sum_by_customer(ticket_costs, "cost", index)
    overdue = _outstanding_past_due(
        data, postpaid_bills, as_of, rates.bad_debt_grace_days
    )
    frame["bad_debt_cost"] = _sum_by_customer(overdue, "outstanding", index)
    frame["network_cost"] = frame["usage_revenue"] * rates.network_share_of_usage

    cost_columns = [
        "acquisition_cost",
        "development_cost",
        "retention_cost",
        "service_cost",
        "bad_debt_cost",
        "network_cost",
    ]
    frame["total_cost"] = frame[cost_columns].sum(axis=1)
    frame["contribution"] = frame["revenue"] - frame["total_cost"]
    frame["monthly_contribution"] = frame["contribution"] / frame["exposure_months"]
    frame["loss_making"] = frame["contribution"] < 0
    frame["value_score"] = percentile_score(frame["monthly_contribution"])
    return frame.reset_index()[list(VALUE_COLUMNS)]


def _retention_contact_counts(
    tickets: pd.DataFrame,
    retention_contacts: pd.DataFrame | None,
    window: _Window,
    rates: CostRates,
    index: pd.Index,
) -> pd.Series:
    asked_to_leave = tickets[
        tickets["category"].isin(rates.retention_ticket_categories)
    ]
    counts = asked_to_leave.groupby("customer").size().reindex(index, fill_value=0)
    if retention_contacts is not None and len(retention_contacts):
        in_window = retention_contacts[window.holds(retention_contacts["contacted_at"])]
        counts = counts + in_window.groupby("customer").size().reindex(
            index, fill_value=0
        )
    return counts.astype("float64")
