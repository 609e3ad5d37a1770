"""The whole analytics pipeline over one operator, stage by stage.

``run_pipeline`` reads the operator tables (``OperatorData``) and the CDR store,
and writes every table it makes as a Parquet mart under ``marts/``:

========================  ==========================================================
stage                     marts
========================  ==========================================================
features                  ``customer_month_features`` (one row per customer and month)
churn                     ``churn_validation`` (the held-out month), ``churn_scores``
fraud                     ``fraud_flags``
bad_debt                  ``bad_debt_scores``
value                     ``customer_value``, ``customer_clv``
habits                    ``habit_profiles``, ``habit_clusters``, ``association_rules``
segments                  ``segments``, ``seven_p``
results                   ``customer_results`` (what the staff see, one row each)
========================  ==========================================================

The churn model is trained on a time split (earlier months train, the last labelled
month validates), registered in the model registry, and scoring uses the registry's
*approved* version; the very first model of an empty registry is approved by the
pipeline itself so that a new installation scores at once (``docs/models.md``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from telcrm_pipeline.features import cdr_table, duckdb_backend
from telcrm_pipeline.features.snapshot import (
    GRAPH_COLUMNS,
    churn_labels,
    customer_month_features,
)
from telcrm_pipeline.habits import association_rules_from_baskets, fit_profiles
from telcrm_pipeline.habits.associations import usage_items
from telcrm_pipeline.habits.cross_sell import cross_sell_offers, product_items
from telcrm_pipeline.models.churn import ChurnModel
from telcrm_pipeline.models.operator_churn import (
    KEYS,
    LABEL,
    OperatorChurnResult,
    report_figures,
    score_latest_month,
    train_operator_churn,
)
from telcrm_pipeline.models.registry import ModelRegistry, ModelVersion
from telcrm_pipeline.operator_data import OperatorData, lines_live_on
from telcrm_pipeline.risk.bad_debt import bad_debt_scores
from telcrm_pipeline.risk.fraud import fraud_flags
from telcrm_pipeline.segments.strategy import (
    CUSTOMER_TYPES,
    ValueRiskBands,
    customer_types,
    seven_p_table,
    value_risk_matrix,
)
from telcrm_pipeline.value.contribution import (
    CostRates,
    customer_value,
    percentile_score,
)
from telcrm_pipeline.value.operator_clv import operator_clv

Progress = Callable[[str, str], None]
CHURN = "churn"
FEATURE_DECIMALS = 6
PIPELINE_APPROVER = "telcrm pipeline (first model of an empty registry)"

# Usage columns the consumption profiles cluster on (docs/habits.md).
PROFILE_COLUMNS = (
    "voice_minutes", "data_mb", "sms_sent", "night_share", "evening_share",
    "weekend_share", "active_days", "roaming_events", "international_minutes",
    "usage_charge", "distinct_contacts",
)  # fmt: skip


@dataclass(frozen=True)
class PipelineSettings:
    """``capacity``: customers the retention team can call in a month (precision at
    capacity); ``cost_rates``: the value stage's costs; ``clv_horizon_months``: how
    far lifetime value looks; ``bands``: the cuts of the value x risk matrix (an
    operator whose retention team can call more widens the high bands);
    ``seed``: every random choice."""

    capacity: int = 100
    cost_rates: CostRates = field(default_factory=CostRates)
    clv_horizon_months: int = 24
    profiles: int | None = None  # k of the consumption profiles (None: chosen)
    bands: ValueRiskBands = field(default_factory=ValueRiskBands)
    seed: int = 0


@dataclass
class PipelineOutcome:
    """What a run produced: the marts, the per-customer results, the flags, the
    churn model used, the headline figures and each stage's seconds."""

    marts: Path
    as_of: dt.date
    customers: pd.DataFrame
    fraud_flags: pd.DataFrame
    churn_model: ModelVersion
    trained_model: ModelVersion
    figures: dict[str, Any]
    seconds: dict[str, float]


class InsufficientHistory(ValueError):
    """Too few months of data for the churn model's time split."""


class StageClock:
    """Times each stage and tells ``progress`` when one starts and ends."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress or (lambda stage, message: None)
        self.seconds: dict[str, float] = {}
        self._stage = ""
        self._started = 0.0

    def start(self, stage: str, message: str) -> None:
        self._stage, self._started = stage, time.perf_counter()
        self.progress(stage, message)

    def done(self, message: str) -> None:
        elapsed = time.perf_counter() - self._started
        self.seconds[self._stage] = round(elapsed, 2)
        self.progress(self._stage, f"{message} ({elapsed:.1f} s)")


def write_mart(marts: Path, name: str, frame: pd.DataFrame) -> Path:
    """``marts/<name>.parquet`` (list columns stay lists)."""
    marts.mkdir(parents=True, exist_ok=True)
    path = marts / f"{name}.parquet"
    # ``attrs`` (fitted models, training notes) are not data: they stay out.
    plain = pd.DataFrame(frame, copy=False)
    plain.attrs = {}
    pq.write_table(pa.Table.from_pandas(plain, preserve_index=False), path)
    return path


def read_mart(marts: Path, name: str) -> pd.DataFrame:
    return pq.read_table(marts / f"{name}.parquet").to_pandas()


def month_end(month: dt.date) -> dt.date:
    return (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()


def run_pipeline(
    data: OperatorData,
    store: Path,
    marts: Path,
    registry: ModelRegistry,
    *,
    settings: PipelineSettings | None = None,
    con: Any | None = None,
    progress: Progress | None = None,
) -> PipelineOutcome:
    """Run every stage on ``data`` and the CDRs in ``store``; marts go to ``marts``.

    ``con`` is the Ibis backend of the CDR scans (DuckDB in process by default).
    """
    settings = settings or PipelineSettings()
    con = con or duckdb_backend()
    clock = StageClock(progress)
    cdr = cdr_table(con, store)

    clock.start("features", "customer-month features from CDRs, bills and tickets")
    snapshots = feature_snapshots(con, data, cdr)
    write_mart(marts, "customer_month_features", snapshots)
    latest = max(snapshots["month"])
    as_of = month_end(latest)
    clock.done(f"{len(snapshots):,} customer-months up to {latest:%Y-%m}")

    clock.start("churn", "churn model on a time split")
    labelled = labelled_snapshots(con, data, snapshots)
    trained = train_operator_churn(
        labelled, capacity=settings.capacity, seed=settings.seed
    )
    without_graph = train_operator_churn(
        labelled,
        capacity=settings.capacity,
        seed=settings.seed,
        drop=GRAPH_COLUMNS,
    )
    write_mart(
        marts,
        "churn_validation_without_graph",
        without_graph.validation.assign(month=without_graph.validation_month),
    )
    version = register_churn_model(registry, trained)
    approved = approved_churn_model(registry)
    model: ChurnModel = registry.load(approved)
    scores = score_latest_month(model, snapshots)
    write_mart(
        marts,
        "churn_validation",
        trained.validation.assign(month=trained.validation_month),
    )
    write_mart(marts, "churn_scores", scores)
    clock.done(
        f"v{version.version} trained (validation {trained.validation_month:%Y-%m}: "
        f"AUC {trained.report['auc']:.3f}); scored with v{approved.version}"
    )

    clock.start("fraud", "fraud rules over the CDRs")
    flags = fraud_flags(con, cdr, data)
    write_mart(marts, "fraud_flags", flags)
    clock.done(f"{len(flags):,} lines flagged")

    clock.start("bad_debt", "bad-debt scorecard")
    bad_debt = bad_debt_scores(data, as_of=as_of + dt.timedelta(days=1))
    write_mart(marts, "bad_debt_scores", bad_debt)
    # The back-test scores as of the latest month's first day, a month before the
    # data ends, so that the outcome of its bills is known when it is evaluated.
    backtest = bad_debt_scores(data, as_of=latest)
    write_mart(marts, "bad_debt_backtest", backtest.assign(as_of=latest))
    clock.done(f"{len(bad_debt):,} postpaid accounts scored")

    clock.start("value", "contribution and lifetime value")
    value = customer_value(data, as_of=as_of, rates=settings.cost_rates)
    clv = operator_clv(data, as_of=as_of, horizon_months=settings.clv_horizon_months)
    write_mart(marts, "customer_value", value)
    write_mart(marts, "customer_clv", clv)
    clock.done(f"{len(value):,} customers valued")

    clock.start("habits", "consumption profiles and association rules")
    profile_of, clusters = consumption_profiles(snapshots, latest, settings)
    lines = data["lines"].to_pandas()
    rules, offers = habit_rules(snapshots, latest, lines, as_of)
    write_mart(marts, "habit_profiles", profile_of)
    write_mart(marts, "habit_clusters", clusters)
    write_mart(marts, "association_rules", rules)
    write_mart(marts, "cross_sell", offers)
    clock.done(
        f"{len(clusters)} profiles, {len(rules):,} rules, "
        f"{len(offers):,} cross-sell offers"
    )

    clock.start("segments", "value x risk matrix, customer types, 7P")
    results = customer_results(
        scores, approved, bad_debt, value, clv, profile_of, bands=settings.bands
    )
    write_mart(marts, "customer_results", results)
    write_mart(
        marts,
        "seven_p",
        seven_p(data, lines, as_of, value, scores, clv, results, offers),
    )
    clock.done(f"{len(results):,} customers placed")

    figures = {
        "as_of": str(as_of),
        "customer_months": len(snapshots),
        "customers_scored": len(results),
        "churn": {
            "trained_version": version.version,
            "scoring_version": approved.version,
            "training_months": [str(m) for m in trained.training_months],
            "validation_month": str(trained.validation_month),
            **report_figures(trained.report),
            "without_graph": report_figures(without_graph.report),
        },
        "fraud_flags": len(flags),
        "bad_debt_accounts": len(bad_debt),
    }
    return PipelineOutcome(
        marts, as_of, results, flags, approved, version, figures, clock.seconds
    )


def feature_snapshots(con: Any, data: OperatorData, cdr: Any) -> pd.DataFrame:
    """Every month's customer features, sorted, ``month`` as ``datetime.date``."""
    expression = customer_month_features(con, data, cdr)
    # Spark may return the columns in another order; the model's inputs must not
    # depend on the backend.
    frame = con.execute(expression)[list(expression.columns)]
    # Engines add floating-point numbers in different orders (sums differ in the
    # 12th digit between DuckDB and Spark); rounded, the model sees the same inputs
    # whichever engine ran the scan.
    decimals = {
        name: FEATURE_DECIMALS
        for name, dtype in frame.dtypes.items()
        if pd.api.types.is_float_dtype(dtype)
    }
    frame = frame.round(decimals).assign(month=pd.to_datetime(frame["month"]).dt.date)
    return frame.sort_values(["month", "customer"], ignore_index=True)


def labelled_snapshots(
    con: Any, data: OperatorData, snapshots: pd.DataFrame
) -> pd.DataFrame:
    """The snapshots whose next month is known, with their churn label."""
    labels = con.execute(churn_labels(con, data))
    labels = labels.assign(month=pd.to_datetime(labels["month"]).dt.date)
    labelled = snapshots.merge(labels, on=list(KEYS))
    months = sorted(set(labelled["month"]))
    if len(months) < 2:
        raise InsufficientHistory(
            "the churn model trains on earlier months and validates on a later one: "
            "it needs two months with CDRs whose next month is billed too; the data "
            f"has {len(months)} ({', '.join(f'{m:%Y-%m}' for m in months) or 'none'})"
            ". Load at least three months of history."
        )
    return labelled


def register_churn_model(
    registry: ModelRegistry, trained: OperatorChurnResult
) -> ModelVersion:
    return registry.register(
        CHURN,
        trained.model,
        training_window=(
            min(trained.training_months),
            month_end(max(trained.training_months)),
        ),
        features=trained.feature_names,
        quality=trained.report,
        evaluated_on={
            "validation_month": str(trained.validation_month),
            "rows": int(trained.report["rows"]),
            "positives": int(trained.report["positives"]),
            "label": f"{LABEL}: the customer closed during the month after",
        },
    )


def approved_churn_model(registry: ModelRegistry) -> ModelVersion:
    """The approved churn model; an empty registry's first model approves itself."""
    approved = registry.approved(CHURN)
    if approved is not None:
        return approved
    first = registry.versions(CHURN)[0]
    registry.approve(
        CHURN, first.version, by=PIPELINE_APPROVER, note="bootstrap: no model yet"
    )
    return first


def consumption_profiles(
    snapshots: pd.DataFrame, latest: dt.date, settings: PipelineSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest month's consumption profiles: each customer's, and each profile's
    description."""
    month = snapshots[snapshots["month"] == latest].set_index("customer")
    profiles = fit_profiles(
        month, columns=list(PROFILE_COLUMNS), k=settings.profiles, seed=settings.seed
    )
    described = profiles.describe()
    profile_of = pd.DataFrame(
        {"customer": profiles.labels.index, "profile": profiles.labels.to_numpy()}
    ).merge(
        described[["description"]].rename_axis("profile").reset_index(), on="profile"
    )
    return profile_of, described.reset_index()


def habit_rules(
    snapshots: pd.DataFrame, latest: dt.date, lines: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Association rules between the latest month's habits and the products held,
    and the cross-sell offer they make to each customer."""
    month = snapshots[snapshots["month"] == latest]
    items = pd.concat(
        [usage_items(month), product_items(lines, as_of)],
        ignore_index=True,
    )
    items = items[items["customer"].isin(month["customer"])]
    rules = association_rules_from_baskets(
        items, basket="customer", item="item", min_support=0.05, min_confidence=0.4
    )
    return rules, cross_sell_offers(items, rules)


def customer_results(
    churn: pd.DataFrame,
    churn_model: ModelVersion,
    bad_debt: pd.DataFrame,
    value: pd.DataFrame,
    clv: pd.DataFrame,
    profile_of: pd.DataFrame,
    *,
    bands: ValueRiskBands,
) -> pd.DataFrame:
    """One row per customer scored: the columns ``CustomerScore`` holds.

    The segment and the customer type need both a value score and a churn
    probability: a customer the value stage did not reach keeps them empty.
    """
    worst_account = (
        bad_debt.sort_values("bad_debt_probability", ascending=False)
        .drop_duplicates("customer")
        .set_index("customer")
    )
    frame = (
        churn.rename(columns={"reasons": "churn_reasons"})
        .merge(
            value[["customer", "contribution", "value_score", "loss_making"]],
            on="customer",
            how="left",
        )
        .merge(clv[["customer", "clv", "clv_model"]], on="customer", how="left")
        .merge(
            profile_of[["customer", "description"]].rename(
                columns={"description": "habit_profile"}
            ),
            on="customer",
            how="left",
        )
    )
    frame["bad_debt_probability"] = frame["customer"].map(
        worst_account["bad_debt_probability"]
    )
    frame["bad_debt_reasons"] = [
        split_reasons(worst_account["reasons"].get(c)) for c in frame["customer"]
    ]
    frame["churn_model"] = f"{CHURN} v{churn_model.version}"
    frame["potential_score"] = percentile_score(frame["clv"])
    valued = frame.dropna(subset=["value_score", "churn_probability", "clv"])
    placed = value_risk_matrix(valued, bands=bands)[
        ["customer", "value_band", "risk_band", "segment", "treatment_en"]
    ].rename(columns={"segment": "segment_code", "treatment_en": "treatment"})
    types = customer_types(valued)
    types["service_level"] = [
        CUSTOMER_TYPES[kind].service_level_en for kind in types["customer_type"]
    ]
    return (
        frame.drop(columns=["potential_score", "loss_making"])
        .merge(placed, on="customer", how="left")
        .merge(
            types[["customer", "customer_type", "service_level"]],
            on="customer",
            how="left",
        )
    )


def seven_p(
    data: OperatorData,
    lines: pd.DataFrame,
    as_of: dt.date,
    value: pd.DataFrame,
    churn: pd.DataFrame,
    clv: pd.DataFrame,
    results: pd.DataFrame,
    offers: pd.DataFrame,
) -> pd.DataFrame:
    """The 7P table of every customer scored (docs/value-and-segments.md)."""
    customers = data["customers"].to_pandas()
    # Profiling shows the service type (key, important, ...), not the party kind.
    profile = customers[["customer", "customer_since", "city", "channel"]].merge(
        results[["customer", "customer_type"]], on="customer"
    )
    live = lines_live_on(lines, as_of)
    return seven_p_table(
        profile,
        as_of=as_of,
        value=value,
        churn=churn[["customer", "churn_probability"]],
        clv=clv[["customer", "clv"]],
        products=live[["customer", "line_of_business"]],
        cross_sell=offers[["customer", "product", "propensity"]],
    )


def split_reasons(reasons: object) -> list[str]:
    if not isinstance(reasons, str) or not reasons:
        return []
    return [part.strip() for part in reasons.split(";") if part.strip()]


__all__ = [
    "GRAPH_COLUMNS",
    "PipelineOutcome",
    "PipelineSettings",
    "read_mart",
    "run_pipeline",
]
