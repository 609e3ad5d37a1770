"""Customer value: exact arithmetic on hand-made records, rates from TOML, and the
ranking on a generated operator against its ground truth."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import spearmanr

from telcrm_pipeline.operator_data import OperatorData
from telcrm_pipeline.sample import SampleOperator
from telcrm_pipeline.value.contribution import (
    DAYS_PER_MONTH,
    VALUE_COLUMNS,
    CostRates,
    customer_value,
    percentile_score,
)

AS_OF = date(2026, 12, 1)


def _customer(no: str, since: date, channel: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "customer": no,
        "customer_type": "individual",
        "customer_since": since,
        "channel": channel,
        "status": "active",
        "status_date": since,
    }
    row.update(extra)
    return row


def _bill(
    no: str, account: str, customer: str, period: date, amount: float
) -> dict[str, object]:
    issue = (pd.Timestamp(period) + pd.DateOffset(months=1)).date()
    return {
        "bill_no": no,
        "account": account,
        "customer": customer,
        "period": period,
        "issue_date": issue,
        "due_date": issue.replace(day=20),
        "amount": amount,
    }


def _item(bill_no: str, customer: str, charge: str, amount: float) -> dict[str, object]:
    return {
        "bill_no": bill_no,
        "customer": customer,
        "charge_type": charge,
        "amount": amount,
    }


def _payment(
    no: str,
    account: str,
    customer: str,
    bill_no: str | None,
    day: datetime,
    amount: float,
) -> dict[str, object]:
    return {
        "payment_no": no,
        "account": account,
        "customer": customer,
        "bill_no": bill_no,
        "paid_at": day,
        "amount": amount,
    }


def _ticket(
    no: str, customer: str, kind: str, category: str, opened: datetime
) -> dict[str, object]:
    return {
        "ticket_no": no,
        "customer": customer,
        "kind": kind,
        "category": category,
        "opened_at": opened,
    }


@pytest.fixture
def handmade(make_operator: Callable[..., OperatorData]) -> OperatorData:
    """C1 postpaid with arrears and tickets, C2 prepaid acquired in the window, C3
    closed before as_of, C4 not yet a customer, C5 closing after as_of."""
    return make_operator(
        customers=[
            _customer("C1", date(2020, 1, 1), "business_hall"),
            _customer("C2", date(2026, 9, 15), "agent_dealer"),
            _customer(
                "C3",
                date(2020, 1, 1),
                "web",
                status="closed",
                status_date=date(2026, 10, 5),
            ),
            _customer("C4", date(2027, 1, 1), "web"),
            _customer(
                "C5",
                date(2019, 3, 1),
                "app",
                status="closed",
                status_date=date(2026, 12, 15),
            ),
        ],
        accounts=[
            {"account": "A1", "customer": "C1", "pay_method": "bank_debit"},
            {"account": "A2", "customer": "C2", "pay_method": "prepaid"},
            {"account": "A5", "customer": "C5", "pay_method": "cash"},
        ],
        bills=[
            _bill(
                "B0", "A1", "C1", date(2026, 4, 1), 999.0
            ),  # issued 2026-05-01: before
            _bill("B1", "A1", "C1", date(2026, 9, 1), 100.0),
            _bill("B2", "A1", "C1", date(2026, 10, 1), 120.0),
            _bill("B3", "A1", "C1", date(2026, 11, 1), 500.0),  # issued on as_of
            _bill("B4", "A2", "C2", date(2026, 10, 1), 70.0),  # a prepaid statement
            _bill("B9", "A1", "C1", date(2026, 12, 1), 777.0),  # issued after as_of
        ],
        bill_items=[
            _item("B1", "C1", "monthly_fee", 80.0),
            _item("B1", "C1", "local_voice", 15.0),
            _item("B1", "C1", "roaming", 5.0),
            _item("B2", "C1", "monthly_fee", 80.0),
            _item("B2", "C1", "international", 40.0),
            _item("B3", "C1", "monthly_fee", 500.0),
            _item("B4", "C2", "monthly_fee", 20.0),
            _item("B4", "C2", "local_voice", 30.0),
            _item("B4", "C2", "data", 20.0),
            _item("B9", "C1", "local_voice", 777.0),
        ],
        payments=[
            _payment("P1", "A1", "C1", "B1", datetime(2026, 10, 10, 9), 100.0),
            _payment("P2", "A1", "C1", "B2", datetime(2026, 11, 25, 9), 20.0),
            _payment("P3", "A2", "C2", None, datetime(2026, 9, 20, 9), 50.0),
            _payment("P4", "A2", "C2", None, datetime(2026, 10, 20, 9), 50.0),
            _payment("P5", "A2", "C2", None, datetime(2026, 11, 20, 9), 100.0),
            _payment("P6", "A2", "C2", None, datetime(2026, 12, 2, 9), 100.0),  # after
        ],
        tickets=[
            _ticket(
                "T0", "C1", "complaint", "billing", datetime(2026, 5, 15, 9)
            ),  # before
            _ticket("T1", "C1", "complaint", "billing", datetime(2026, 7, 10, 9)),
            _ticket("T2", "C1", "inquiry", "product", datetime(2026, 8, 1, 9)),
            _ticket("T3", "C1", "inquiry", "port_out_query", datetime(2026, 11, 2, 9)),
        ],
    )


def test_contribution_arithmetic_with_default_rates(handmade: OperatorData) -> None:
    value = customer_value(handmade, as_of=AS_OF, months=6).set_index("customer")

    assert list(value.index) == ["C1", "C2", "C5"]
    c1 = value.loc["C1"]
    # Bills issued in (2026-06-01, 2026-12-01]: B1, B2 and B3 (issued on as_of).
    assert c1["billed_revenue"] == pytest.approx(720.0)
    assert c1["topup_revenue"] == 0.0
    assert c1["usage_revenue"] == pytest.approx(60.0)
    assert c1["acquisition_cost"] == 0.0
    assert c1["development_cost"] == pytest.approx(0.03 * 720)
    # One port-out query = one retention contact (25) + 2 % of revenue.
    assert c1["retention_cost"] == pytest.approx(25 + 0.02 * 720)
    # Complaint 30 + two inquiries at 8; the May ticket is outside the window.
    assert c1["service_cost"] == pytest.approx(46.0)
    # B2 is past due with 100 of 120 unpaid; B3 is not due yet.
    assert c1["bad_debt_cost"] == pytest.approx(100.0)
    assert c1["network_cost"] == pytest.approx(0.3 * 60)
    total = 0.03 * 720 + 25 + 0.02 * 720 + 46 + 100 + 18
    assert c1["total_cost"] == pytest.approx(total)
    assert c1["contribution"] == pytest.approx(720 - total)
    # With us all window long: 183 days, capped at the window's 6 months.
    assert c1["exposure_months"] == 6.0
    assert c1["monthly_contribution"] == pytest.approx((720 - total) / 6)

    c2 = value.loc["C2"]
    assert bool(c2["prepaid"])
    assert c2["revenue"] == pytest.approx(200.0)  # top-ups up to as_of, not the bill
    assert c2["acquisition_cost"] == pytest.approx(150.0)  # agent_dealer
    assert c2["bad_debt_cost"] == 0.0  # a prepaid statement is never arrears
    assert c2["network_cost"] == pytest.approx(0.3 * 50)
    assert c2["contribution"] == pytest.approx(200 - 150 - 6 - 4 - 15)
    assert c2["exposure_months"] == pytest.approx(77 / DAYS_PER_MONTH)

    c5 = value.loc["C5"]
    assert c5["revenue"] == 0.0 and c5["contribution"] == 0.0
    assert list(value["value_score"]) == [100.0, 50.0, 0.0]
    assert list(value["loss_making"]) == [False, False, False]


def test_grace_days_and_custom_rates(handmade: OperatorData) -> None:
    rates = CostRates(
        bad_debt_grace_days=30, development_share=0.0, retention_share=0.0
    )
    value = customer_value(handmade, as_of=AS_OF, rates=rates, months=6)
    c1 = value.set_index("customer").loc["C1"]
    # B2 was due 2026-11-20: with 30 days' grace it is not bad debt on 2026-12-01.
    assert c1["bad_debt_cost"] == 0.0
    assert c1["contribution"] == pytest.approx(720 - 25 - 46 - 18)


def test_retention_contacts_from_campaigns_are_charged(handmade: OperatorData) -> None:
    contacts = pd.DataFrame(
        {
            "customer": ["C5", "C5", "C2"],
            "contacted_at": [
                datetime(2026, 11, 3),
                datetime(2026, 5, 1),
                datetime(2026, 10, 1),
            ],
        }
    )
    value = customer_value(handmade, as_of=AS_OF, months=6, retention_contacts=contacts)
    by_customer = value.set_index("customer")["retention_cost"]
    assert by_customer["C5"] == pytest.approx(25.0)  # the May contact is outside
    assert by_customer["C2"] == pytest.approx(25.0 + 0.02 * 200)


def test_a_loss_making_customer_is_flagged(
    make_operator: Callable[..., OperatorData],
) -> None:
    data = make_operator(
        customers=[_customer("C1", date(2026, 11, 1), "direct_sales")],
        accounts=[{"account": "A1", "customer": "C1", "pay_method": "bank_debit"}],
    )
    row = customer_value(data, as_of=AS_OF).iloc[0]
    assert row["contribution"] == pytest.approx(-600.0)
    assert bool(row["loss_making"])
    assert row["exposure_months"] == 1.0  # 30 days, raised to the one-month floor
    assert row["value_score"] == 100.0  # the only customer


def test_rates_from_toml() -> None:
    text = """
    development_share = 0.05
    bad_debt_grace_days = 60
    retention_ticket_categories = ["port_out_query", "cancel"]
    [acquisition_by_channel]
    app = 55
    """
    rates = CostRates.from_mapping(tomllib.loads(text))
    assert rates.development_share == 0.05
    assert rates.bad_debt_grace_days == 60
    assert rates.retention_ticket_categories == frozenset({"port_out_query", "cancel"})
    assert rates.acquisition_cost("app") == 55.0
    assert rates.acquisition_cost("agent_dealer") == 150.0  # default kept
    assert rates.acquisition_cost("pigeon") == 100.0  # flat rate
    assert rates.ticket_cost("complaint") == 30.0


def test_rates_from_file(tmp_path: Path) -> None:
    path = tmp_path / "rates.json"
    path.write_text('{"network_share_of_usage": 0.4}', encoding="utf-8")
    assert CostRates.from_file(path).network_share_of_usage == 0.4


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"development_shar": 0.1}, "unknown cost rate\\(s\\): development_shar"),
        ({"retention_share": 1.5}, "retention_share must be a share in \\[0, 1\\]"),
        (
            {"service_per_ticket": {"complaint": -1}},
            "service_per_ticket.complaint must be >= 0",
        ),
    ],
)
def test_bad_rates_are_refused(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CostRates.from_mapping(mapping)


def test_percentile_score_ties_share_their_rank() -> None:
    scores = percentile_score(pd.Series([5.0, 1.0, 5.0, 3.0, 9.0]))
    assert list(scores) == [62.5, 0.0, 62.5, 25.0, 100.0]


def test_contribution_ranks_generated_customers_like_the_truth(
    generated_operator: SampleOperator,
) -> None:
    value = customer_value(generated_operator.data, as_of=AS_OF, months=6)
    assert list(value.columns) == list(VALUE_COLUMNS)
    churn = generated_operator.truth("churn")
    churned_by_as_of = churn[pd.to_datetime(churn["churn_date"]) <= pd.Timestamp(AS_OF)]
    customers = generated_operator.data["customers"].num_rows
    assert len(value) == customers - len(churned_by_as_of)
    assert value["customer"].is_unique

    traits = generated_operator.truth("traits").set_index("cust_no")
    true_net = (
        traits["revenue_cents"].astype(int) - traits["service_cost_cents"].astype(int)
    ).reindex(value["customer"])
    correlation = spearmanr(value["contribution"], true_net).statistic
    assert correlation > 0.90  # measured 0.939 (seed 5)
    # The contract types both count: prepaid customers are valued on their top-ups.
    assert value.loc[value["prepaid"], "topup_revenue"].gt(0).mean() > 0.9
