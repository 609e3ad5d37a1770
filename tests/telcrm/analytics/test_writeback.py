"""The pipeline's results written back: upserted scores, headline columns, flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pandas as pd
import pytest
from django.utils import timezone
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.analytics.choices import FlagStatus
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.analytics.writeback import (
    customer_scores_write,
    fraud_flags_review,
    fraud_flags_write,
)
from telcrm.customers.models import Customer
from telcrm.users.models import User

pytestmark = pytest.mark.django_db


def new_customer() -> Customer:
    return cast(Customer, CustomerFactory())


def new_run() -> PipelineRun:
    return PipelineRun.objects.create(started_at=timezone.now(), started_by="test")


def results(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_scores_land_on_the_score_and_the_customer_row() -> None:
    first, second = new_customer(), new_customer()
    run = new_run()

    written = customer_scores_write(
        run,
        results(
            {"customer": first.customer_number, "churn_probability": 0.25,
             "churn_reasons": ["contract ends in 1 month"], "clv": 1234.567,
             "value_score": 88.0, "segment_code": "HV-HR", "clv_model": "sbg"},
            {"customer": second.customer_number, "churn_probability": float("nan"),
             "churn_reasons": None, "clv": None, "value_score": 10.0,
             "segment_code": "LV-LR", "clv_model": None},
            {"customer": "C999999999", "churn_probability": 0.5},
        ),
    )  # fmt: skip

    assert written == 2
    score = CustomerScore.objects.get(customer=first)
    assert score.churn_reasons == ["contract ends in 1 month"]
    assert score.clv == Decimal("1234.57")
    first.refresh_from_db()
    assert (first.churn_risk, first.clv, first.segment_code) == (
        0.25, Decimal("1234.57"), "HV-HR",
    )  # fmt: skip
    assert first.value_score == Decimal("88.00")
    assert first.scored_at == run.started_at
    other = CustomerScore.objects.get(customer=second)
    assert (other.churn_probability, other.churn_reasons, other.clv_model) == (
        None, [], "",
    )  # fmt: skip


def test_a_later_run_replaces_the_score() -> None:
    customer = new_customer()
    customer_scores_write(
        new_run(),
        results({"customer": customer.customer_number, "churn_probability": 0.9}),
    )
    later = new_run()

    customer_scores_write(
        later, results({"customer": customer.customer_number, "churn_probability": 0.1})
    )

    score = CustomerScore.objects.get(customer=customer)
    assert (score.run_id, score.churn_probability) == (later.pk, 0.1)
    customer.refresh_from_db()
    assert customer.churn_risk == 0.1


def flag(service_no: str, day: str, evidence: str) -> dict[str, object]:
    return {
        "service_no": service_no, "customer": None, "rule": "sim_box",
        "first_day": dt.date.fromisoformat(day),
        "last_day": dt.date.fromisoformat(day) + dt.timedelta(days=3),
        "score": 9.5, "evidence": evidence,
    }  # fmt: skip


def test_flags_are_upserted_and_staff_decisions_stay() -> None:
    fraud_flags_write(
        new_run(),
        results(flag("13800000001", "2026-08-01", "first"),
                flag("13800000002", "2026-08-01", "first")),
    )  # fmt: skip
    reviewer = cast(User, UserFactory())
    fraud_flags_review(
        flags=FraudFlag.objects.filter(service_number="13800000002"),
        status=FlagStatus.DISMISSED,
        user=reviewer,
    )

    written = fraud_flags_write(
        new_run(),
        results(flag("13800000001", "2026-08-01", "again"),
                flag("13800000002", "2026-08-01", "again")),
    )  # fmt: skip

    assert written == 1
    assert FraudFlag.objects.count() == 2
    evidence = dict(FraudFlag.objects.values_list("service_number", "evidence"))
    assert evidence == {"13800000001": "again", "13800000002": "first"}
    dismissed = FraudFlag.objects.get(service_number="13800000002")
    assert (dismissed.status, dismissed.reviewed_by) == ("dismissed", reviewer)
