"""The churn model family: table preparation, quality measures, and the IBM table."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcrm_pipeline.models import (
    ChurnModel,
    TargetError,
    cross_validate,
    parse_target,
    prepare_table,
    quality_report,
)

IBM_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"
IBM_DIR = IBM_DIR / "telco_churn_ibm"
IBM_CSV = IBM_DIR / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
needs_ibm = pytest.mark.skipif(
    not IBM_CSV.is_file(), reason=f"IBM churn table not found at {IBM_CSV}"
)


@pytest.fixture(scope="module")
def ibm() -> tuple[pd.DataFrame, pd.Series]:
    df = pd.read_csv(IBM_CSV)
    X, y, _ = prepare_table(df, target="Churn", id_column="customerID")
    return X, y


@pytest.fixture(scope="module")
def ibm_cv(ibm: tuple[pd.DataFrame, pd.Series]) -> dict[str, object]:
    X, y = ibm
    return cross_validate(X, y, folds=5, seed=0)


@pytest.fixture(scope="module")
def ibm_model(ibm: tuple[pd.DataFrame, pd.Series]) -> ChurnModel:
    X, y = ibm
    return ChurnModel(seed=0).fit(X.iloc[:5000], y.iloc[:5000])


# --- the target ---------------------------------------------------------------


def test_targets_yes_no_true_false_one_zero_y_n_in_any_case() -> None:
    values = pd.Series(["Yes", "no", " TRUE ", "false", "1", "0", "Y", "n", 1, 0])
    assert parse_target(values).tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert parse_target(pd.Series([1, 0, 0])).tolist() == [1, 0, 0]
    assert parse_target(pd.Series([1.0, 0.0])).tolist() == [1, 0]
    assert parse_target(pd.Series([True, False])).tolist() == [1, 0]


def test_a_blank_target_is_an_error_naming_the_first_row_and_the_count() -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(pd.Series(["Yes", " ", "No", None]), column="Churn")
    assert str(caught.value) == "column 'Churn': blank target in row 2 (and 1 more)"
    assert (caught.value.column, caught.value.row) == ("Churn", 2)


def test_a_bad_target_value_is_an_error_naming_the_value_and_row() -> None:
    df = pd.DataFrame({"x": [1, 2, 3], "Churn": ["Yes", "No", "maybe"]})
    with pytest.raises(TargetError) as caught:
        prepare_table(df, target="Churn")
    assert str(caught.value) == (
        "column 'Churn': target value 'maybe' in row 3 is not "
        "yes/no, true/false, 1/0 or y/n"
    )
    assert (caught.value.row, caught.value.value) == (3, "maybe")


def test_a_missing_target_column_is_an_error_naming_it() -> None:
    with pytest.raises(TargetError, match="no target column 'Churn'"):
        prepare_table(pd.DataFrame({"x": [1]}), target="Churn")


# --- the features -------------------------------------------------------------


def test_prepare_table_types_features_and_drops_target_and_id() -> None:
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "tenure": [0, 5, 12],
            "Contract": ["Month-to-month", "One year", " "],
            "TotalCharges": [" ", "10.5", "200"],
            "Churn": ["Yes", "No", "No"],
        }
    )
    X, y, ids = prepare_table(df, target="Churn", id_column="id")
    assert list(X.columns) == ["tenure", "Contract", "TotalCharges"]
    assert y.tolist() == [1, 0, 0]
    assert ids is not None and ids.tolist() == ["a", "b", "c"]
    assert X["tenure"].dtype == np.float64
    assert X["TotalCharges"].dtype == np.float64
    assert X["TotalCharges"].isna().tolist() == [True, False, False]
    assert X["TotalCharges"].iloc[1:].tolist() == [10.5, 200.0]
    assert isinstance(X["Contract"].dtype, pd.CategoricalDtype)
    assert list(X["Contract"].cat.categories) == ["Month-to-month", "One year"]
    assert X["Contract"].isna().tolist() == [False, False, True]


def test_a_copy_of_the_target_is_refused_as_a_feature() -> None:
    df = pd.DataFrame(
        {"x": [1, 2, 3], "Churn Label": ["N", "Y", "N"], "Churn": ["No", "Yes", "No"]}
    )
    with pytest.raises(ValueError, match="'Churn Label' is a copy of the target"):
        prepare_table(df, target="Churn")


# --- the quality report -------------------------------------------------------


def test_quality_report_on_a_hand_made_example() -> None:
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    p = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.2, 0.1, 0.05]
    report = quality_report(y, p, capacity=3)
    # Positives at 0.9 (beats all 8 negatives) and 0.7 (beats 7): AUC = 15/16.
    assert report["auc"] == 15 / 16
    # Top decile = the single highest score (0.9), a churner: 1.0 / base rate 0.2.
    assert report["top_decile_lift"] == pytest.approx(5.0, abs=1e-12)
    # Churn predicted for 0.9, 0.8, 0.7, 0.6: right on 0.9 and 0.7; the 6 rows below
    # 0.5 are all right: 8 of 10.
    assert report["accuracy"] == 0.8
    errors = [0.1, 0.8, 0.3, 0.6, 0.4, 0.3, 0.2, 0.2, 0.1, 0.05]
    assert report["brier"] == pytest.approx(sum(e * e for e in errors) / 10, abs=1e-15)
    right = [0.9, 0.2, 0.7, 0.4, 0.6, 0.7, 0.8, 0.8, 0.9, 0.95]
    expected_loss = -sum(math.log(q) for q in right) / 10
    assert report["log_loss"] == pytest.approx(expected_loss, abs=1e-12)
    assert report["precision_at_capacity"] == 2 / 3
    assert (report["rows"], report["positives"], report["base_rate"]) == (10, 2, 0.2)
    assert [b["count"] for b in report["calibration"]] == [1, 1, 2, 1, 1, 0, 1, 1, 1, 1]
    assert report["calibration"][2] == {
        "bin": "0.2-0.3",
        "count": 2,
        "mean_predicted": 0.2,
        "observed": 0.0,
    }
    assert report["calibration"][5]["mean_predicted"] is None
    assert report["calibration"][9]["observed"] == 1.0


# --- the IBM table ------------------------------------------------------------


@needs_ibm
def test_ibm_table_is_prepared_without_the_id_and_target(
    ibm: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = ibm
    assert X.shape == (7043, 19)
    assert "customerID" not in X.columns and "Churn" not in X.columns
    assert int(y.sum()) == 1869
    assert X["TotalCharges"].dtype == np.float64
    assert int(X["TotalCharges"].isna().sum()) == 11
    assert isinstance(X["Contract"].dtype, pd.CategoricalDtype)


@needs_ibm
def test_ibm_cross_validated_auc_is_good_but_not_leaky(
    ibm: tuple[pd.DataFrame, pd.Series], ibm_cv: dict[str, object]
) -> None:
    assert ibm_cv["folds"] == 5
    assert ibm_cv["rows"] == 7043
    auc = ibm_cv["auc"]
    assert isinstance(auc, float)
    assert 0.84 <= auc <= 0.90
    X, y = ibm
    again = cross_validate(X, y, folds=5, seed=0)
    assert again["auc"] == auc  # seeded: the same figures on every run


@needs_ibm
def test_ibm_calibrated_probabilities_follow_the_observed_rates(
    ibm_cv: dict[str, object],
) -> None:
    table = ibm_cv["calibration"]
    assert isinstance(table, list)
    assert sum(b["count"] for b in table) == 7043
    filled = [b for b in table if b["count"] >= 20]
    observed = [b["observed"] for b in filled]
    assert observed == sorted(observed)  # monotone
    for b in filled:
        assert 0.0 <= b["mean_predicted"] <= 1.0
        if b["count"] >= 100:
            assert abs(b["mean_predicted"] - b["observed"]) < 0.05, b
    # Far better than predicting the base rate for everyone (Brier 0.195).
    assert isinstance(ibm_cv["brier"], float) and ibm_cv["brier"] < 0.15


@needs_ibm
def test_ibm_reasons_are_shap_contributions_of_real_columns(
    ibm: tuple[pd.DataFrame, pd.Series], ibm_model: ChurnModel
) -> None:
    X, _ = ibm
    unseen = X.iloc[5000:5200]
    contrib = ibm_model.contributions(unseen)
    assert list(contrib.columns) == [*X.columns, "bias"]
    raw = ibm_model.classifier_.booster_.predict(
        unseen, raw_score=True, num_iteration=ibm_model.best_iteration_
    )
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), raw, rtol=0, atol=1e-9)
    proba = ibm_model.predict_proba(unseen)
    assert ((proba >= 0) & (proba <= 1)).all()
    phrase = re.compile(r"^(\w+) = (.+) (raises|lowers) the risk$")
    reasons = ibm_model.reasons(unseen, top=3)
    assert len(reasons) == 200
    for i, row in enumerate(reasons):
        assert len(row) == 3
        strengths = []
        for text in row:
            match = phrase.match(text)
            assert match, text
            name, value, effect = match.groups()
            assert name in X.columns
            shown = unseen[name].iloc[i]
            if pd.isna(shown):
                assert value == "missing"
            elif isinstance(shown, float):
                assert float(value) == pytest.approx(shown, rel=1e-5)
            else:
                assert value == str(shown)
            c = contrib[name].iloc[i]
            assert (c > 0) == (effect == "raises")
            strengths.append(abs(c))
        assert strengths == sorted(strengths, reverse=True)
        # The strongest reasons are the largest contributions of the row.
        top = contrib.drop(columns="bias").iloc[i].abs().max()
        assert strengths[0] == top
