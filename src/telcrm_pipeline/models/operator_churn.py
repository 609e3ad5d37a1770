"""The churn model on the operator's own customer-month snapshots, split in time.

A snapshot row is a customer live at the end of month M with its features for M
(``features.snapshot.customer_month_features``); its label says whether the customer
closed during M+1 (``features.snapshot.churn_labels``). The model is the family's
``ChurnModel`` (LightGBM, early-stopped, calibrated); what this module adds:

* **a time split**: the model learns from the labelled months before the last one and
  is measured on the last labelled month, as it will be used (trained on the past,
  scoring a month it never saw). Rows are never shuffled across months.
* **readable reasons** for the operator's features ("contract ends in 1 month",
  "3 complaints in the last 3 months"), from a table of phrase templates keyed by
  feature name.
* the latest month scored for every live customer, the graph features' worth (the
  same split with and without them) and a check against the generator's truth.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from telcrm_pipeline.features.snapshot import (
    GRAPH_COLUMNS,
    churn_labels,
    customer_month_features,
)
from telcrm_pipeline.models.churn import DEFAULT_PARAMS, ChurnModel, quality_report
from telcrm_pipeline.operator_data import OperatorData

LABEL = "churned_next_month"
KEYS = ("customer", "month")
CATEGORICAL = ("customer_type", "channel", "pay_method", "credit_class")
DEFAULT_CAPACITY = 100  # customers a retention team can call in a month
# The operator's tables have thousands to millions of rows, not the IBM table's
# 7,043: a faster learning rate reaches the same validation AUC (within the spread
# between seeds) with about a quarter of the trees, and scoring a million customers
# takes a quarter of the time (docs/benchmarks.md, "Scoring").
OPERATOR_PARAMS: dict[str, Any] = {**DEFAULT_PARAMS, "learning_rate": 0.1}
# Reasons are given to the riskiest fifth of the customers (those the retention team
# and the account managers work on): TreeSHAP costs far more than the score itself.
REASONS_SHARE = 0.2

# Phrase templates per feature. Fields: {n} the value as a whole number, {s} "s" unless
# n is 1, {pct} the absolute value as a percentage (shares and trends), {updown}
# "down" or "up" by the value's sign, {x} the value as is, {r} rounded to one decimal,
# {money} to two.
REASON_TEMPLATES: dict[str, str] = {
    "voice_minutes_trend": "voice minutes {updown} {pct} on the three months before",
    "data_mb_trend": "data use {updown} {pct} on the three months before",
    "usage_charge_trend": "usage charges {updown} {pct} on the three months before",
    "contract_months_left": "contract ends in {n} month{s}",
    "complaints": "{n} complaint{s} this month",
    "complaints_3m": "{n} complaint{s} in the last 3 months",
    "tickets_3m": "{n} ticket{s} in the last 3 months",
    "port_out_queries_3m": "asked about porting the number out ({n} time{s})",
    "open_tickets": "{n} ticket{s} still open",
    "satisfaction_3m": "rated the service {r} of 5",
    "late_payments_3m": "{n} late payment{s} in 3 months",
    "days_late_latest": "latest bill paid {n} day{s} late",
    "arrears": "{money} overdue and unpaid",
    "churned_contact_share": "{pct} of contacts left recently",
    "churned_contacts_3m": "{n} contact{s} left recently",
    "on_net_contacts_3m": "{n} contact{s} on the network",
    "influence": "influence in the call graph {r}",
    "tenure_months": "customer for {n} month{s}",
    "days_since_last_event": "no activity for the last {n} day{s} of the month",
    "active_days": "active on {n} day{s} this month",
    "voice_minutes": "{n} voice minutes this month",
    "data_mb": "{n} MiB of data this month",
    "bill_amount": "last bill {money}",
    "monthly_fee_total": "monthly fees {money}",
    "topups": "{n} top-up{s} this month",
    "lines_live": "{n} line{s} held",
    "pay_method": "pays by {x}",
    "credit_class": "credit class {x}",
    "customer_type": "{x} customer",
    "channel": "signed up through {x}",
}
# Phrases for a missing value, where missing has a meaning.
MISSING_PHRASES: dict[str, str] = {
    "contract_months_left": "no contract ties the customer",
    "bill_amount": "no bill yet",
    "satisfaction_3m": "no rated ticket in the last 3 months",
    "days_since_last_event": "no calls, SMS or data this month",
}


@dataclass(frozen=True)
class TimeSplit:
    """Which months train the model and which one measures it."""

    training_months: tuple[dt.date, ...]
    validation_month: dt.date


@dataclass
class OperatorChurnResult:
    """A model trained on a time split and its report on the validation month.

    ``validation`` holds ``customer``, ``churn_probability`` and the label for every
    customer of the validation month.
    """

    model: ChurnModel
    report: dict[str, Any]
    split: TimeSplit
    feature_names: list[str]
    validation: pd.DataFrame

    @property
    def training_months(self) -> tuple[dt.date, ...]:
        return self.split.training_months

    @property
    def validation_month(self) -> dt.date:
        return self.split.validation_month


def training_table(
    con: Any, data: OperatorData, cdr: Any, *, graph: bool = True
) -> pd.DataFrame:
    """Labelled snapshots: the features of every labelled month with its label,
    sorted by month and customer (``month`` as ``datetime.date``)."""
    features = customer_month_features(con, data, cdr, graph=graph)
    labels = churn_labels(con, data)
    frame = con.execute(features.join(labels, list(KEYS)))
    return _tidy(frame)


def snapshot_frame(
    con: Any, data: OperatorData, cdr: Any, *, graph: bool = True
) -> pd.DataFrame:
    """Every month's features (labelled or not), sorted by month and customer."""
    return _tidy(con.execute(customer_month_features(con, data, cdr, graph=graph)))


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(month=pd.to_datetime(frame["month"]).dt.date)
    return frame.sort_values(list(KEYS[::-1])).reset_index(drop=True)


def time_split(months: Sequence[dt.date]) -> TimeSplit:
    """The last labelled month validates; every earlier month trains."""
    distinct = sorted(set(months))
    if len(distinct) < 2:
        raise ValueError("a time split needs at least two labelled months")
    return TimeSplit(tuple(distinct[:-1]), distinct[-1])


def split_masks(table: pd.DataFrame, split: TimeSplit) -> tuple[np.ndarray, np.ndarray]:
    """Boolean row masks of ``table``: the training months' rows, the validation
    month's rows (disjoint: a row belongs to one month)."""
    months = table["month"]
    training = months.isin(split.training_months).to_numpy()
    validation = (months == split.validation_month).to_numpy()
    return training, validation


def feature_matrix(frame: pd.DataFrame, *, drop: Sequence[str] = ()) -> pd.DataFrame:
    """The model's inputs: every column but the keys, the label and ``drop``; numbers
    as floats and the categorical attributes as pandas categories."""
    excluded = {*KEYS, LABEL, *drop}
    columns = [c for c in frame.columns if c not in excluded]
    return pd.DataFrame(
        {
            c: frame[c].astype("category")
            if c in CATEGORICAL
            else pd.to_numeric(frame[c]).astype("float64")
            for c in columns
        },
        index=frame.index,
    )


def train_operator_churn(
    table: pd.DataFrame,
    *,
    capacity: int = DEFAULT_CAPACITY,
    seed: int = 0,
    drop: Sequence[str] = (),
) -> OperatorChurnResult:
    """Train on every labelled month but the last, report on the last.

    ``table`` is ``training_table``'s frame; ``drop`` leaves feature columns out.
    """
    split = time_split(list(table["month"]))
    X = feature_matrix(table, drop=drop)
    y = table[LABEL].astype("int64")
    train, valid = split_masks(table, split)
    model = ChurnModel(params=dict(OPERATOR_PARAMS), seed=seed).fit(X[train], y[train])
    probability = model.predict_proba(X[valid])
    report = quality_report(y[valid].to_numpy(), probability, capacity=capacity)
    validation = pd.DataFrame(
        {
            "customer": table.loc[valid, "customer"].to_numpy(),
            "churn_probability": probability,
            LABEL: y[valid].to_numpy(),
        }
    )
    return OperatorChurnResult(model, report, split, list(X.columns), validation)


def compare_graph_features(
    table: pd.DataFrame, *, capacity: int = DEFAULT_CAPACITY, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """The validation report with and without the call-graph features, on the same
    time split: ``{"with_graph": report, "without_graph": report}``."""
    with_graph = train_operator_churn(table, capacity=capacity, seed=seed)
    without = train_operator_churn(
        table, capacity=capacity, seed=seed, drop=GRAPH_COLUMNS
    )
    return {"with_graph": with_graph.report, "without_graph": without.report}


def reason_phrase(name: str, value: object) -> str:
    """One feature's value as a phrase (the template of ``REASON_TEMPLATES``, else the
    family's generic "name = value raises the risk")."""
    if _missing(value):
        return MISSING_PHRASES.get(name, f"{name} = missing raises the risk")
    template = REASON_TEMPLATES.get(name)
    if template is None:
        return f"{name} = {_show(value)} raises the risk"
    if isinstance(value, str):
        return template.format(x=value)
    number = float(value)  # type: ignore[arg-type]
    whole = round(number)
    return template.format(
        n=whole,
        s="" if whole == 1 else "s",
        pct=f"{abs(number) * 100:.0f}%",
        updown="down" if number < 0 else "up",
        x=_show(number),
        r=f"{number:.1f}",
        money=f"{number:.2f}",
    )


def operator_reasons(
    model: ChurnModel, X: pd.DataFrame, *, top: int = 3
) -> list[list[str]]:
    """Per row, up to ``top`` phrases for the features that raise its risk most
    (positive SHAP contributions, strongest first)."""
    contributions = model.contributions(X).drop(columns="bias").to_numpy()
    strongest = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    names = model.feature_names_
    # One array per column (no copy of the float columns), not an object matrix.
    columns = [X[name].to_numpy() for name in names]
    return [
        [cached_phrase(names[j], columns[j][i]) for j in row if contributions[i, j] > 0]
        for i, row in enumerate(strongest)
    ]


@functools.lru_cache(maxsize=65_536)
def _cached_phrase(name: str, value: object) -> str:
    return reason_phrase(name, value)


def cached_phrase(name: str, value: object) -> str:
    """``reason_phrase``, remembered: counts and categories repeat across customers."""
    try:
        return _cached_phrase(name, value)
    except TypeError:  # an unhashable value
        return reason_phrase(name, value)


def score_latest_month(
    model: ChurnModel,
    snapshots: pd.DataFrame,
    *,
    top: int = 3,
    reasons_share: float = REASONS_SHARE,
) -> pd.DataFrame:
    """Every customer live at the end of the latest month in ``snapshots``:
    ``customer``, ``churn_probability``, ``reasons`` (a list of phrases), riskiest
    first. The riskiest ``reasons_share`` of the customers get reasons; the others
    an empty list."""
    latest = snapshots[snapshots["month"] == snapshots["month"].max()]
    X = feature_matrix(latest)[model.feature_names_]
    scored = pd.DataFrame(
        {
            "customer": latest["customer"].to_numpy(),
            "churn_probability": model.predict_proba(X),
        }
    )
    scored = scored.sort_values(
        ["churn_probability", "customer"], ascending=[False, True], kind="stable"
    ).reset_index()
    explained = math.ceil(len(scored) * reasons_share)
    rows = scored["index"].to_numpy()[:explained]
    reasons = operator_reasons(model, X.iloc[rows], top=top)
    scored["reasons"] = reasons + [[] for _ in range(len(scored) - explained)]
    return scored.drop(columns="index")


def evaluate_against_truth(
    scores: pd.DataFrame, truth: pd.DataFrame, month: dt.date
) -> dict[str, Any]:
    """AUC and top-decile lift of month M's scores against the generator's truth:
    a customer is positive when the truth has them churning during M+1.

    ``scores``: ``customer``, ``churn_probability``; ``truth``: ``cust_no``,
    ``churn_date`` (text or dates).
    """
    start = pd.Timestamp(month) + pd.offsets.MonthBegin(1)
    end = start + pd.offsets.MonthBegin(1)
    churn_date = pd.to_datetime(truth["churn_date"])
    leavers = set(truth.loc[(churn_date >= start) & (churn_date < end), "cust_no"])
    outcome = scores["customer"].isin(leavers).astype("int64").to_numpy()
    report = quality_report(outcome, scores["churn_probability"].to_numpy())
    return {
        key: report[key]
        for key in ("auc", "top_decile_lift", "rows", "positives", "base_rate")
    }


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def train_on_operator(
    con: Any,
    data: OperatorData,
    cdr: Any,
    *,
    graph: bool = True,
    capacity: int = DEFAULT_CAPACITY,
    seed: int = 0,
) -> OperatorChurnResult:
    """``training_table`` then ``train_operator_churn``, in one call."""
    table = training_table(con, data, cdr, graph=graph)
    return train_operator_churn(table, capacity=capacity, seed=seed)


def report_figures(report: Mapping[str, Any]) -> dict[str, float]:
    """The headline measures of a report, rounded for printing."""
    return {
        key: round(float(report[key]), 4)
        for key in ("auc", "top_decile_lift", "precision_at_capacity")
        if key in report
    }
