"""The pipeline's results written to the operational store in bulk.

A run's customer results replace each customer's previous ``CustomerScore`` (an
upsert on the customer), then one ``UPDATE ... FROM`` copies the headline figures to
the customer rows, all in the caller's transaction. Fraud flags are upserted on
(line, rule, first day): a flag staff already confirmed or dismissed keeps its
decision; an open one gets the new figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from telcrm.analytics.choices import FlagStatus
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.customers.models import Customer
from telcrm.users.models import User

BATCH = 5_000

# The pipeline's per-customer result columns and the CustomerScore fields they fill.
SCORE_FIELDS = {
    "churn_probability": "churn_probability",
    "churn_reasons": "churn_reasons",
    "churn_model": "churn_model",
    "bad_debt_probability": "bad_debt_probability",
    "bad_debt_reasons": "bad_debt_reasons",
    "contribution": "contribution",
    "value_score": "value_score",
    "clv": "clv",
    "clv_model": "clv_model",
    "value_band": "value_band",
    "risk_band": "risk_band",
    "segment_code": "segment_code",
    "treatment": "treatment",
    "customer_type": "customer_type",
    "service_level": "service_level",
    "habit_profile": "habit_profile",
}
MONEY = {"contribution", "clv"}
LISTS = {"churn_reasons", "bad_debt_reasons"}
TEXT = {"churn_model", "clv_model", "value_band", "risk_band", "segment_code",
        "treatment", "customer_type", "service_level", "habit_profile"}  # fmt: skip


def customer_ids() -> dict[str, int]:
    return dict(
        Customer.objects.filter(merged_into__isnull=True).values_list(
            "customer_number", "id"
        )
    )


def field_value(name: str, value: Any) -> Any:
    """A result cell as the model field wants it (missing: NULL, '' or [])."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if name in LISTS:
        return [] if missing else [str(v) for v in value]
    if name in TEXT:
        return "" if missing else str(value)[:200]
    if missing:
        return None
    if name in MONEY:
        return Decimal(f"{float(value):.2f}")
    return float(value)


def score_rows(
    run: PipelineRun,
    results: pd.DataFrame,
    scored_at: dt.datetime,
    ids: dict[str, int],
) -> Iterator[CustomerScore]:
    present = [c for c in SCORE_FIELDS if c in results.columns]
    for row in results.itertuples(index=False):
        customer_id = ids.get(str(row.customer))
        if customer_id is None:  # merged or removed since the export
            continue
        values = {SCORE_FIELDS[c]: field_value(c, getattr(row, c)) for c in present}
        yield CustomerScore(
            customer_id=customer_id, run=run, scored_at=scored_at, **values
        )


def customer_scores_write(
    run: PipelineRun, results: pd.DataFrame, ids: dict[str, int] | None = None
) -> int:
    """Upsert one CustomerScore per result row; returns the number written.

    ``ids`` (customer number -> primary key, as ``customer_ids`` reads it) saves the
    read when the caller already holds it."""
    ids = customer_ids() if ids is None else ids
    scored_at = run.started_at
    fields = ["run", "scored_at", *SCORE_FIELDS.values()]
    written = 0
    batch: list[CustomerScore] = []
    for score in score_rows(run, results, scored_at, ids):
        batch.append(score)
        if len(batch) == BATCH:
            written += upsert_scores(batch, fields)
            batch = []
    written += upsert_scores(batch, fields)
    customer_headlines_copy(run)
    return written


def upsert_scores(batch: list[CustomerScore], fields: list[str]) -> int:
    if batch:
        CustomerScore.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=fields,
        )
    return len(batch)


def customer_headlines_copy(run: PipelineRun) -> None:
    """Copy the run's headline figures onto the customer rows in one statement
    (``UPDATE ... FROM`` reads the same on SQLite 3.33+ and PostgreSQL)."""
    customer = Customer._meta.db_table
    score = CustomerScore._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {customer} SET
                churn_risk = s.churn_probability,
                clv = s.clv,
                value_score = s.value_score,
                segment_code = s.segment_code,
                scored_at = s.scored_at
            FROM {score} s
            WHERE s.customer_id = {customer}.id AND s.run_id = %s
            """,  # noqa: S608 - table names come from the models, values are bound
            [run.pk],
        )


def as_date(value: Any) -> dt.date:
    """A day from a date, a datetime or a pandas Timestamp."""
    return pd.Timestamp(value).date()


def fraud_flags_write(
    run: PipelineRun, flags: pd.DataFrame, ids: dict[str, int] | None = None
) -> int:
    """Upsert the run's flags; staff decisions on earlier flags stay. ``ids`` as for
    ``customer_scores_write``."""
    ids = customer_ids() if ids is None else ids
    decided = set(
        FraudFlag.objects.exclude(status=FlagStatus.OPEN).values_list(
            "service_number", "rule", "first_day"
        )
    )
    rows = [
        FraudFlag(
            run=run,
            customer_id=ids.get(str(row.customer)),
            service_number=str(row.service_no),
            rule=str(row.rule),
            first_day=as_date(row.first_day),
            last_day=as_date(row.last_day),
            score=float(row.score),
            evidence=str(row.evidence),
        )
        for row in flags.itertuples(index=False)
        if (str(row.service_no), str(row.rule), as_date(row.first_day)) not in decided
    ]
    FraudFlag.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["service_number", "rule", "first_day"],
        update_fields=["run", "customer", "last_day", "score", "evidence"],
    )
    return len(rows)


def fraud_flags_review(
    *, flags: QuerySet[FraudFlag], status: FlagStatus, user: User
) -> int:
    """Record the staff decision on ``flags``; later runs keep it."""
    return flags.update(status=status, reviewed_by=user, reviewed_at=timezone.now())
