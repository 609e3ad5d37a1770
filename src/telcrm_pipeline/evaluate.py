"""A pipeline run's results against a generated operator's ground truth.

``telcrm pipeline evaluate --truth OUT/truth`` reads the run's marts and the truth
files ``telcrm generate`` wrote apart from the silos, and reports:

* churn: the time-split validation month's probabilities (from the model trained on
  the earlier months) against the customers the truth has leaving in the month
  after: AUC and top-decile lift, with and without the call-graph features;
* fraud: line-level precision and recall of the flags, overall and per pattern;
* bad debt: the back-test scores (as of the latest month's first day, before any
  defaulter's first unpaid bill fell due) against the truth's defaulters: AUC, lift,
  precision and recall at the collections team's capacity.

The truth is keyed by CRM customer number; after identity linkage a customer may hold
several (``crm_keys`` mart): it counts as a leaver or a defaulter when any of them is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from telcrm_pipeline.models.operator_churn import evaluate_against_truth
from telcrm_pipeline.risk.bad_debt import evaluate_bad_debt
from telcrm_pipeline.risk.fraud import evaluate_fraud
from telcrm_pipeline.run import read_mart


def read_truth(truth: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(truth / f"{name}.csv", dtype=str, keep_default_na=False)


def crm_keys(marts: Path) -> pd.DataFrame | None:
    """``customer`` -> ``crm_customer``; None when the run read the silos (where the
    customer is the CRM customer)."""
    if (marts / "crm_keys.parquet").is_file():
        return read_mart(marts, "crm_keys")
    return None


def keyed_by_customer(truth: pd.DataFrame, keys: pd.DataFrame | None) -> pd.DataFrame:
    """The truth rows with ``cust_no`` replaced by the customer now holding it."""
    if keys is None:
        return truth
    joined = truth.merge(keys, left_on="cust_no", right_on="crm_customer")
    return joined.drop(columns=["cust_no", "crm_customer"]).rename(
        columns={"customer": "cust_no"}
    )


def churn_figures(
    marts: Path, truth: Path, keys: pd.DataFrame | None
) -> dict[str, Any]:
    leavers = keyed_by_customer(read_truth(truth, "churn"), keys)
    figures: dict[str, Any] = {}
    for name, mart in (
        ("with_graph", "churn_validation"),
        ("without_graph", "churn_validation_without_graph"),
    ):
        validation = read_mart(marts, mart)
        month = pd.Timestamp(validation["month"].iloc[0]).date()
        # A customer with several CRM numbers churns when the earliest of them does.
        first = (
            leavers.assign(churn_date=pd.to_datetime(leavers["churn_date"]))
            .groupby("cust_no", as_index=False)["churn_date"]
            .min()
        )
        report = evaluate_against_truth(validation, first, month)
        figures[name] = {"validation_month": str(month), **report}
    return figures


def evaluate_run(marts: Path, truth: Path) -> dict[str, Any]:
    """Churn, fraud and bad-debt figures of the run whose marts are ``marts``."""
    keys = crm_keys(marts)
    defaulters = keyed_by_customer(read_truth(truth, "defaulters"), keys)
    backtest = read_mart(marts, "bad_debt_backtest")
    return {
        "churn": churn_figures(marts, truth, keys),
        "fraud": evaluate_fraud(
            read_mart(marts, "fraud_flags"), read_truth(truth, "fraud")
        ),
        "bad_debt": {
            "as_of": str(backtest["as_of"].iloc[0]),
            **evaluate_bad_debt(backtest, defaulters.drop_duplicates("cust_no")),
        },
    }
