"""Bad-debt risk of postpaid billing accounts, from their payment behaviour.

``bad_debt_scores(data, as_of=...)`` sees only what the operator knew before
``as_of``: bills issued and payments made before it, accounts opened before it. From
that alone it trains a logistic-regression scorecard on earlier monthly snapshots
(features at the snapshot, outcome from the bills of the month after it, all
settled before ``as_of``) and scores every postpaid account at ``as_of``.

Outcome (the label): a bill issued in the month after the snapshot is not fully paid
``overdue_days`` days after its due date. It is read from bills and payments only,
never from any ground truth.

Why a logistic regression and not the LightGBM ``ChurnModel``: a credit team acts on
the reasons, so each account's score should come apart into additive contributions
of a dozen named payment habits with one fixed weight each (a scorecard), and the
training set is small (a few thousand account-months, a few hundred late ones), where
trees add variance rather than signal.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from telcrm_pipeline.operator_data import OperatorData

PREPAID = "prepaid"
CREDIT_CLASSES = ("A", "B", "C", "D")
PAY_METHODS = ("cash", "bank_debit", "alipay", "wechat")
DAYS_PER_MONTH = 30.44
# A payment within half a fen of the bill settles it (amounts are in yuan).
SETTLED_TOLERANCE = 0.005
NUMERIC_FEATURES = (
    "bills_due", "late_share", "late_recent", "mean_days_late", "max_days_late",
    "overdue_amount", "overdue_days", "partial_bills", "bill_ratio", "log_bill",
    "tenure_months",
)  # fmt: skip
CATEGORY_FEATURES = tuple(f"credit_class_{c}" for c in CREDIT_CLASSES) + tuple(
    f"pay_method_{m}" for m in PAY_METHODS
)
FEATURES = NUMERIC_FEATURES + CATEGORY_FEATURES
SCORE_COLUMNS = ("customer", "account", "bad_debt_probability", "reasons")


@dataclass(frozen=True)
class BadDebtSettings:
    """``overdue_days``: the label's grace after the due date (a bill still open
    then went to dunning). ``training_snapshots``: monthly snapshots before
    ``as_of`` to train on. ``regularisation``: the inverse L2 strength ``C``.
    ``reasons``: phrases given per account (those that raise its risk most)."""

    overdue_days: int = 10
    recent_bills: int = 3
    training_snapshots: int = 3
    regularisation: float = 1.0
    reasons: int = 3
    min_reason_contribution: float = 0.2


def bad_debt_scores(
    data: OperatorData, *, as_of: dt.date, settings: BadDebtSettings | None = None
) -> pd.DataFrame:
    """Every postpaid account billed before ``as_of``: customer, account, the
    probability that its next bill is still unpaid ``overdue_days`` after its due
    date, and the reasons (``"; "``-joined phrases, strongest first).

    Only records dated before ``as_of`` are read: later payments, bills or accounts
    never change a score. ``attrs["training"]`` describes the fitted scorecard.
    """
    settings = settings or BadDebtSettings()
    known = _known_before(data, as_of)
    rows, labels, snapshots = _training_set(known, as_of, settings)
    if labels.nunique() < 2:
        raise ValueError(
            f"cannot train the bad-debt scorecard before {as_of}: the snapshots "
            f"{[str(s) for s in snapshots]} hold {len(labels)} labelled bills of one "
            "outcome only; choose a later as_of"
        )
    scaler = StandardScaler().fit(rows[list(FEATURES)])
    model = LogisticRegression(C=settings.regularisation, max_iter=1000)
    model.fit(scaler.transform(rows[list(FEATURES)]), labels)
    current = _account_features(known, as_of, settings)
    scaled = scaler.transform(current[list(FEATURES)])
    probability = model.predict_proba(scaled)[:, 1]
    contributions = scaled * model.coef_[0]
    scores = pd.DataFrame(
        {
            "customer": current["customer"].to_numpy(),
            "account": current["account"].to_numpy(),
            "bad_debt_probability": probability,
            "reasons": [
                _reasons(row, contribution, settings)
                for row, contribution in zip(
                    current.itertuples(index=False), contributions, strict=True
                )
            ],
        }
    )
    scores = scores.sort_values(
        ["bad_debt_probability", "account"], ascending=[False, True], ignore_index=True
    )
    scores.attrs["training"] = {
        "as_of": str(as_of),
        "snapshots": [str(s) for s in snapshots],
        "rows": len(labels),
        "positives": int(labels.sum()),
        "weights": dict(zip(FEATURES, np.round(model.coef_[0], 4), strict=True)),
    }
    return scores


def _known_before(data: OperatorData, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The billing tables as the operator knew them the day before ``as_of``."""
    cutoff = pd.Timestamp(as_of)
    accounts = data["accounts"].to_pandas()
    bills = data["bills"].to_pandas()
    payments = data["payments"].to_pandas()
    accounts = accounts[accounts.opened_date < as_of]
    bills = bills[bills.issue_date < as_of]
    payments = payments[payments.bill_no.notna() & (payments.paid_at < cutoff)]
    return {"accounts": accounts, "bills": bills, "payments": payments}


def _month_starts_before(as_of: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months before ``as_of``'s, oldest first."""
    first = as_of.replace(day=1)
    starts = []
    for back in range(count, 0, -1):
        month = first.month - back
        year = first.year + (month - 1) // 12
        starts.append(dt.date(year, (month - 1) % 12 + 1, 1))
    return starts


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _training_set(
    known: dict[str, pd.DataFrame], as_of: dt.date, settings: BadDebtSettings
) -> tuple[pd.DataFrame, pd.Series, list[dt.date]]:
    """Features at each snapshot, and whether a bill issued in the month after it
    was still open ``overdue_days`` after its due date (settled before ``as_of``)."""
    frames, labels, used = [], [], []
    for snapshot in _month_starts_before(as_of, settings.training_snapshots):
        outcome = _snapshot_outcome(known, snapshot, as_of, settings)
        if outcome.empty:
            continue
        features = _account_features(known, snapshot, settings)
        joined = features.merge(outcome, on="account", how="inner")
        frames.append(joined)
        labels.append(joined["went_overdue"].astype(np.int64))
        used.append(snapshot)
    if not frames:
        return pd.DataFrame(columns=list(FEATURES)), pd.Series(dtype=np.int64), used
    return (
        pd.concat(frames, ignore_index=True),
        pd.concat(labels, ignore_index=True),
        used,
    )


def _snapshot_outcome(
    known: dict[str, pd.DataFrame],
    snapshot: dt.date,
    as_of: dt.date,
    settings: BadDebtSettings,
) -> pd.DataFrame:
    """``account``, ``went_overdue`` for the bills issued in the month after
    ``snapshot`` whose grace ended before ``as_of`` (later ones are not known yet)."""
    grace = dt.timedelta(days=settings.overdue_days)
    bills = known["bills"]
    bills = bills[
        (bills.issue_date >= snapshot)
        & (bills.issue_date < _next_month(snapshot))
        & (bills.due_date + grace < as_of)
        & (bills.amount > 0)
    ]
    settled = _settled_at(bills, known["payments"])
    deadline = pd.to_datetime(bills.due_date + grace)
    overdue = settled.isna() | (settled >= deadline)
    return (
        pd.DataFrame({"account": bills.account, "went_overdue": overdue})
        .groupby("account", as_index=False)["went_overdue"]
        .any()
    )


def _settled_at(bills: pd.DataFrame, payments: pd.DataFrame) -> pd.Series:
    """When each bill's payments first added up to its amount (NaT: not yet),
    aligned with ``bills``."""
    paid = payments[payments.bill_no.isin(bills.bill_no)].sort_values(
        ["bill_no", "paid_at", "payment_no"]
    )
    paid = paid.assign(cumulative=paid.groupby("bill_no")["amount"].cumsum())
    paid = paid.merge(
        bills[["bill_no", "amount"]], on="bill_no", suffixes=("", "_bill")
    )
    enough = paid[paid.cumulative >= paid.amount_bill - SETTLED_TOLERANCE]
    first = enough.groupby("bill_no")["paid_at"].min()
    return bills.bill_no.map(first).astype("datetime64[us]").set_axis(bills.index)


def account_features(
    data: OperatorData, *, at: dt.date, settings: BadDebtSettings | None = None
) -> pd.DataFrame:
    """The scorecard's inputs per postpaid account at ``at`` (one row per account:
    ``FEATURES`` and the figures the reasons quote)."""
    return _account_features(_known_before(data, at), at, settings or BadDebtSettings())


def _account_features(
    known: dict[str, pd.DataFrame], at: dt.date, settings: BadDebtSettings
) -> pd.DataFrame:
    """Payment habits of every postpaid account with a bill issued before ``at``,
    from the bills issued and the payments made before ``at`` only."""
    cutoff = pd.Timestamp(at)
    accounts = known["accounts"]
    accounts = accounts[(accounts.pay_method != PREPAID) & (accounts.opened_date < at)]
    bills = known["bills"]
    bills = bills[bills.account.isin(accounts.account) & (bills.issue_date < at)]
    payments = known["payments"]
    payments = payments[payments.paid_at < cutoff]
    history = _bill_history(bills, payments, at)
    per_account = _habits(history, settings.recent_bills)
    table = accounts.merge(per_account, left_on="account", right_index=True)
    table["tenure_months"] = [
        (at - opened).days / DAYS_PER_MONTH for opened in table.opened_date
    ]
    for credit_class in CREDIT_CLASSES:
        table[f"credit_class_{credit_class}"] = (
            table.credit_class == credit_class
        ).astype(np.float64)
    for method in PAY_METHODS:
        table[f"pay_method_{method}"] = (table.pay_method == method).astype(np.float64)
    return table.sort_values("account", ignore_index=True)


def _bill_history(
    bills: pd.DataFrame, payments: pd.DataFrame, at: dt.date
) -> pd.DataFrame:
    """Per bill known at ``at``: paid so far, settled when, days late so far."""
    history = bills.copy()
    history["settled_at"] = _settled_at(bills, payments)
    paid = payments.groupby("bill_no")["amount"].sum()
    history["paid"] = history.bill_no.map(paid).fillna(0.0)
    due = pd.to_datetime(history.due_date)
    cutoff = pd.Timestamp(at)
    end = history.settled_at.fillna(cutoff)
    late_days = (end.dt.normalize() - due).dt.days.clip(lower=0)
    # A bill not yet due is not late, whatever it owes.
    history["is_due"] = due < cutoff
    history["days_late"] = np.where(history.is_due, late_days, 0)
    history["open"] = history.settled_at.isna() & (history.amount > 0)
    return history.sort_values(["account", "issue_date"])


def _habits(history: pd.DataFrame, recent_bills: int) -> pd.DataFrame:
    """One row per account of ``history`` (sorted by account and issue date)."""
    accounts = pd.Index(history.account.unique(), name="account")
    due = history[history.is_due]
    late = (due.days_late > 0).rename("late")
    by_account = due.groupby("account")
    bills_due = by_account.size().reindex(accounts, fill_value=0).astype(float)
    late_bills = late.groupby(due.account).sum().reindex(accounts, fill_value=0)
    recent = due.assign(late=late).groupby("account").tail(recent_bills)
    overdue = due[due.open]
    arrears = (overdue.amount - overdue.paid).groupby(overdue.account).sum()
    partial = ((due.paid > 0) & due.open).groupby(due.account).sum()
    amounts = history.groupby("account")["amount"]
    latest = amounts.last().reindex(accounts)
    count = amounts.size().reindex(accounts)
    earlier_mean = ((amounts.sum().reindex(accounts) - latest) / (count - 1)).where(
        count > 1, latest
    )
    habits = pd.DataFrame(
        {
            "bills_due": bills_due,
            "late_bills": late_bills.astype(float),
            "late_share": (late_bills / bills_due.where(bills_due > 0)).fillna(0.0),
            "late_recent": recent.groupby("account")["late"].sum(),
            "recent_due": bills_due.clip(upper=recent_bills),
            "mean_days_late": by_account.days_late.mean(),
            "max_days_late": by_account.days_late.max(),
            "overdue_amount": arrears,
            "overdue_days": overdue.groupby("account").days_late.max(),
            "partial_bills": partial,
            "bill_ratio": (latest / earlier_mean.where(earlier_mean > 0)).fillna(1.0),
            "log_bill": np.log1p(latest.clip(lower=0.0)),
            "latest_bill": latest,
        },
        index=accounts,
    )
    return habits.fillna(0.0).astype(np.float64)


def _reasons(row: Any, contribution: np.ndarray, settings: BadDebtSettings) -> str:
    """The phrases of the features that raise this account's risk most.

    A 0/1 category explains an account only when the account has it (credit class
    D), never by what it lacks.
    """
    ranked = sorted(zip(FEATURES, contribution, strict=True), key=lambda item: -item[1])
    phrases: list[str] = []
    for name, value in ranked:
        if value < settings.min_reason_contribution or len(phrases) == settings.reasons:
            break
        if name in CATEGORY_FEATURES and getattr(row, name) != 1.0:
            continue
        phrase = _phrase(name, row)
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return "; ".join(phrases)


def _phrase(name: str, row: Any) -> str | None:
    """A readable sentence for one feature of one account (None: nothing to say)."""
    if name in ("late_share", "bills_due"):
        return f"late on {row.late_bills:.0f} of {row.bills_due:.0f} bills"
    if name == "late_recent":
        return f"late on {row.late_recent:.0f} of the last {row.recent_due:.0f} bills"
    if name in ("mean_days_late", "max_days_late"):
        return (
            f"paid {row.mean_days_late:.0f} days late on average, at worst "
            f"{row.max_days_late:.0f}"
        )
    if name in ("overdue_amount", "overdue_days"):
        if row.overdue_amount <= 0:
            return None
        return f"{row.overdue_amount:.2f} yuan overdue for {row.overdue_days:.0f} days"
    if name == "partial_bills":
        return f"{row.partial_bills:.0f} bills paid only in part"
    if name in ("bill_ratio", "log_bill"):
        return (
            f"latest bill {row.latest_bill:.2f} yuan, {row.bill_ratio:.1f} times "
            "the earlier ones"
        )
    if name == "tenure_months":
        return f"account open {row.tenure_months:.0f} months"
    if name.startswith("credit_class_"):
        return f"credit class {row.credit_class}"
    if name.startswith("pay_method_"):
        return f"pays by {row.pay_method.replace('_', ' ')}"
    return None


def evaluate_bad_debt(
    scores: pd.DataFrame, truth_defaulters: pd.DataFrame, *, capacity: int = 50
) -> dict[str, Any]:
    """Rank customers by their riskiest account against the defaulters' truth.

    AUC, the top-decile lift (the defaulter rate among the top tenth over the rate
    of all scored customers), and precision and recall of the ``capacity`` riskiest
    customers (how many a collections team can call first). Defaulters without a
    score (no postpaid bill before the as-of date) are counted apart.
    """
    per_customer = (
        scores.groupby("customer")["bad_debt_probability"]
        .max()
        .sort_values(ascending=False, kind="stable")
    )
    defaulters = set(truth_defaulters["cust_no"])
    outcome = per_customer.index.isin(list(defaulters)).astype(np.int64)
    n = len(per_customer)
    positives = int(outcome.sum())
    base_rate = positives / n if n else 0.0
    top_decile = outcome[: max(1, math.ceil(n / 10))]
    top = outcome[:capacity]
    return {
        "customers_scored": n,
        "defaulters": len(defaulters),
        "defaulters_scored": positives,
        "auc": float(roc_auc_score(outcome, per_customer.to_numpy()))
        if 0 < positives < n
        else float("nan"),
        "top_decile_lift": float(top_decile.mean() / base_rate) if positives else 0.0,
        "capacity": capacity,
        "precision_at_capacity": float(top.mean()) if len(top) else 0.0,
        "recall_at_capacity": float(top.sum() / positives) if positives else 0.0,
    }
