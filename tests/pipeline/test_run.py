"""The whole pipeline on a generated operator: marts, results, the registry's approved
model, and the figures against the ground truth."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from telcrm_pipeline.evaluate import evaluate_run
from telcrm_pipeline.models.operator_churn import REASONS_SHARE
from telcrm_pipeline.models.registry import ModelRegistry
from telcrm_pipeline.run import PipelineOutcome, read_mart, run_pipeline
from telcrm_pipeline.sample import SampleOperator
from telcrm_pipeline.segments.strategy import SEGMENTS

# Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 1.5.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

MARTS = (
    "customer_month_features", "churn_validation", "churn_validation_without_graph",
    "churn_scores", "fraud_flags", "bad_debt_scores", "bad_debt_backtest",
    "customer_value", "customer_clv", "habit_profiles", "habit_clusters",
    "association_rules", "cross_sell", "customer_results", "seven_p",
)  # fmt: skip


@pytest.fixture(scope="module")
def first_run(
    generated_operator: SampleOperator, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PipelineOutcome, ModelRegistry]:
    home = tmp_path_factory.mktemp("pipeline")
    registry = ModelRegistry(home / "models")
    stages: list[str] = []
    outcome = run_pipeline(
        generated_operator.data,
        generated_operator.store,
        home / "marts",
        registry,
        progress=lambda stage, message: stages.append(stage),
    )
    assert list(dict.fromkeys(stages)) == [
        "features", "churn", "fraud", "bad_debt", "value", "habits", "segments",
    ]  # fmt: skip
    return outcome, registry


def live_at(data: pd.DataFrame, lines: pd.DataFrame, day: object) -> set[str]:
    """Customers not closed by ``day`` who hold an access line open on it."""
    held = lines[
        (lines.offer_kind != "addon")
        & (lines.start_date <= day)
        & (lines.end_date.isna() | (lines.end_date > day))
    ]
    closed = data[(data.status == "closed") & (data.status_date <= day)]
    return set(held.customer) - set(closed.customer)


def test_every_live_customer_gets_a_result_and_every_mart_is_written(
    first_run: tuple[PipelineOutcome, ModelRegistry],
    generated_operator: SampleOperator,
) -> None:
    outcome, _ = first_run
    customers = generated_operator.data["customers"].to_pandas()
    lines = generated_operator.data["lines"].to_pandas()

    results = outcome.customers

    assert set(results.customer) == live_at(customers, lines, outcome.as_of)
    assert results.customer.is_unique
    assert results.churn_probability.between(0, 1).all()
    # The riskiest fifth gets reasons in words (REASONS_SHARE), the rest none.
    ranked = results.sort_values("churn_probability", ascending=False)
    explained = math.ceil(len(results) * REASONS_SHARE)
    assert (ranked.churn_reasons.iloc[:explained].map(len) > 0).mean() > 0.95
    assert (ranked.churn_reasons.iloc[explained:].map(len) == 0).all()
    assert set(results.segment_code.dropna()) <= {s.code for s in SEGMENTS.values()}
    assert results.segment_code.notna().mean() > 0.95
    for name in MARTS:
        assert (outcome.marts / f"{name}.parquet").is_file(), name
    assert len(read_mart(outcome.marts, "seven_p")) == len(results)


def test_scoring_uses_the_approved_model_not_the_newest(
    first_run: tuple[PipelineOutcome, ModelRegistry],
    generated_operator: SampleOperator,
    tmp_path: Path,
) -> None:
    outcome, registry = first_run
    assert outcome.churn_model.version == outcome.trained_model.version == 1
    assert registry.approved("churn") is not None

    again = run_pipeline(
        generated_operator.data, generated_operator.store, tmp_path, registry
    )

    assert again.trained_model.version == 2
    assert again.churn_model.version == 1
    assert (again.customers.churn_model == "churn v1").all()
    registry.approve("churn", 2, by="analyst", note="better on October")
    assert registry.approved("churn").version == 2  # type: ignore[union-attr]


def test_figures_against_the_ground_truth(
    first_run: tuple[PipelineOutcome, ModelRegistry],
    generated_operator: SampleOperator,
) -> None:
    outcome, _ = first_run

    figures = evaluate_run(outcome.marts, generated_operator.root / "truth")

    churn = figures["churn"]["with_graph"]
    assert churn["validation_month"] == "2026-10-01"
    assert churn["positives"] > 20
    assert churn["auc"] > 0.85
    assert churn["top_decile_lift"] > 4
    assert figures["fraud"]["recall"] == 1.0
    assert figures["fraud"]["precision"] >= 0.75
    assert figures["bad_debt"]["as_of"] == "2026-11-01"
    assert figures["bad_debt"]["auc"] > 0.95


@pytest.mark.spark
def test_the_pipeline_gives_the_same_results_on_spark(
    first_run: tuple[PipelineOutcome, ModelRegistry],
    generated_operator: SampleOperator,
    spark: object,
    tmp_path: Path,
) -> None:
    on_duckdb, _ = first_run

    on_spark = run_pipeline(
        generated_operator.data,
        generated_operator.store,
        tmp_path / "marts",
        ModelRegistry(tmp_path / "models"),
        con=spark,
    )

    columns = [
        "customer", "churn_probability", "churn_reasons", "bad_debt_probability",
        "clv", "segment_code", "customer_type", "habit_profile",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(
        on_spark.customers[columns].sort_values("customer", ignore_index=True),
        on_duckdb.customers[columns].sort_values("customer", ignore_index=True),
        rtol=1e-9,
    )
    pd.testing.assert_frame_equal(
        on_spark.fraud_flags.reset_index(drop=True),
        on_duckdb.fraud_flags.reset_index(drop=True),
    )
