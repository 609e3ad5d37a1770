"""The churn model on the generated operator's snapshots: a time split, its quality
against the generator's truth, readable reasons and the latest month scored."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from telcrm_pipeline.features import cdr_table, duckdb_backend
from telcrm_pipeline.features.snapshot import GRAPH_COLUMNS
from telcrm_pipeline.models import (
    OperatorChurnResult,
    compare_graph_features,
    evaluate_against_truth,
    score_latest_month,
    time_split,
    train_operator_churn,
    training_table,
)
from telcrm_pipeline.models.operator_churn import (
    reason_phrase,
    snapshot_frame,
    split_masks,
)
from telcrm_pipeline.sample import SampleOperator

pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

# Measured on the generated operator (seed 5, 1,500 customers), validation month
# October 2026: AUC 0.957 and top-decile lift 8.15 against the truth (model seeds 1
# and 2: AUC 0.935 and 0.965). The floors leave room for that seed-to-seed spread.
AUC_FLOOR = 0.90
LIFT_FLOOR = 5.0


@pytest.fixture(scope="module")
def table(generated_operator: SampleOperator) -> pd.DataFrame:
    con = duckdb_backend()
    cdr = cdr_table(con, generated_operator.store)
    return training_table(con, generated_operator.data, cdr)


@pytest.fixture(scope="module")
def trained(table: pd.DataFrame) -> OperatorChurnResult:
    return train_operator_churn(table, capacity=100, seed=0)


def test_the_split_validates_on_the_last_labelled_month(
    table: pd.DataFrame, trained: OperatorChurnResult
) -> None:
    split = trained.split
    months = [dt.date(2026, m, 1) for m in (6, 7, 8, 9, 10)]
    assert sorted(set(table["month"])) == months
    assert split.training_months == tuple(months[:-1])
    assert split.validation_month == dt.date(2026, 10, 1)
    training, validation = split_masks(table, split)
    assert not (training & validation).any()
    assert set(table.loc[training, "month"]) == set(months[:-1])
    assert set(table.loc[validation, "month"]) == {dt.date(2026, 10, 1)}
    assert trained.report["rows"] == int(validation.sum()) == len(trained.validation)


def test_a_single_month_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="two labelled months"):
        time_split([dt.date(2026, 6, 1)] * 3)
    assert time_split([dt.date(2026, 7, 1), dt.date(2026, 6, 1)]) == (
        time_split([dt.date(2026, 6, 1), dt.date(2026, 7, 1)])
    )


def test_labels_match_the_truth_file(
    table: pd.DataFrame, generated_operator: SampleOperator
) -> None:
    truth = generated_operator.truth("churn")
    churn_month = pd.to_datetime(truth["churn_date"]).dt.to_period("M")
    for month, rows in table.groupby("month"):
        leaving = set(truth.loc[churn_month == pd.Period(month, "M") + 1, "cust_no"])
        labelled = set(rows.loc[rows["churned_next_month"] == 1, "customer"])
        assert labelled == leaving & set(rows["customer"])


def test_the_model_finds_the_leavers_of_the_validation_month(
    trained: OperatorChurnResult, generated_operator: SampleOperator
) -> None:
    truth = evaluate_against_truth(
        trained.validation, generated_operator.truth("churn"), trained.validation_month
    )

    assert truth["positives"] == 33
    assert truth["auc"] > AUC_FLOOR
    assert truth["top_decile_lift"] > LIFT_FLOOR
    assert trained.report["capacity"] == 100
    assert math.isclose(trained.report["auc"], truth["auc"])


def test_graph_features_compared_on_the_same_split(table: pd.DataFrame) -> None:
    reports = compare_graph_features(table, capacity=100, seed=0)
    without = train_operator_churn(table, drop=GRAPH_COLUMNS)

    assert set(reports) == {"with_graph", "without_graph"}
    assert reports["with_graph"]["rows"] == reports["without_graph"]["rows"] == 1285
    assert reports["without_graph"]["auc"] == without.report["auc"]
    assert not set(GRAPH_COLUMNS) & set(without.feature_names)
    assert set(GRAPH_COLUMNS) <= set(train_operator_churn(table).feature_names)


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("voice_minutes_trend", -0.63,
         "voice minutes down 63% on the three months before"),
        ("contract_months_left", 1.0, "contract ends in 1 month"),
        ("complaints_3m", 3.0, "3 complaints in the last 3 months"),
        ("late_payments_3m", 2.0, "2 late payments in 3 months"),
        ("churned_contact_share", 0.4, "40% of contacts left recently"),
        ("contract_months_left", float("nan"), "no contract ties the customer"),
        ("pay_method", "cash", "pays by cash"),
        ("night_share", 0.25, "night_share = 0.25 raises the risk"),
        ("sms_sent", float("nan"), "sms_sent = missing raises the risk"),
    ],
)  # fmt: skip
def test_reasons_read_as_phrases(name: str, value: object, phrase: str) -> None:
    assert reason_phrase(name, value) == phrase


def test_the_latest_month_is_scored_for_every_live_customer(
    trained: OperatorChurnResult, generated_operator: SampleOperator
) -> None:
    con = duckdb_backend()
    snapshots = snapshot_frame(
        con, generated_operator.data, cdr_table(con, generated_operator.store)
    )
    latest = snapshots[snapshots["month"] == dt.date(2026, 11, 1)]

    scores = score_latest_month(trained.model, snapshots)

    assert sorted(scores["customer"]) == sorted(latest["customer"])
    assert scores["churn_probability"].between(0, 1).all()
    assert scores["churn_probability"].is_monotonic_decreasing
    assert all(1 <= len(r) <= 3 for r in scores["reasons"].head(20))
    assert all(isinstance(p, str) for r in scores["reasons"] for p in r)
