"""Lifetime value on the operator's records: the sBG against Fader & Hardie's
published example, recovery under left truncation, exact cohort records and CLV on
hand-made data, and a finite CLV for every live generated customer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from telcrm_pipeline.operator_data import OperatorData
from telcrm_pipeline.sample import SampleOperator
from telcrm_pipeline.value.clv import (
    BgNbdFit,
    GammaGammaFit,
    customer_lifetime_value,
    rfm_summary,
)
from telcrm_pipeline.value.operator_clv import (
    CLV_COLUMNS,
    ClvFits,
    SbgFit,
    fit_sbg,
    fit_sbg_survival,
    operator_clv,
    retention_records,
    whole_months,
)

AS_OF = date(2026, 12, 1)

# Fader & Hardie (2007), "How to project customer retention", JIM 21(1), table 1:
# the share of each cohort still a customer after 0..7 years, and their sBG fits.
HIGH_END = [1.000, 0.869, 0.743, 0.653, 0.593, 0.551, 0.517, 0.491]
REGULAR = [1.000, 0.631, 0.468, 0.382, 0.326, 0.289, 0.262, 0.241]


@pytest.mark.parametrize(
    ("survival", "alpha", "beta"),
    [(HIGH_END, 0.668, 3.806), (REGULAR, 0.704, 1.182)],
    ids=["high-end", "regular"],
)
def test_sbg_reproduces_the_published_fits(
    survival: list[float], alpha: float, beta: float
) -> None:
    fit = fit_sbg_survival(survival)
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta
    assert fit.converged


def test_sbg_recovers_known_parameters_under_left_truncation() -> None:
    """Customers seen only from a tenure of 0-24 months on, for 12 months: the
    truncation-aware fit recovers Beta(0.7, 1.2); ignoring the truncation does not."""
    rng = np.random.default_rng(7)
    n = 60_000
    lifetime = rng.geometric(rng.beta(0.7, 1.2, n))  # the period of churn, >= 1
    entered = rng.integers(0, 25, n)
    seen = lifetime > entered  # who left before observation began is not in the data
    churned = lifetime <= entered + 12
    periods = np.where(churned, lifetime, entered + 12)

    fit = fit_sbg(periods[seen], churned[seen], entered=entered[seen])
    assert fit.alpha == pytest.approx(0.7, abs=0.03)  # 0.696
    assert fit.beta == pytest.approx(1.2, abs=0.06)  # 1.204
    naive = fit_sbg(periods[seen], churned[seen])
    assert naive.beta > 10  # 14.5: the survivors look far more loyal than they are


def test_sbg_curve_in_closed_form() -> None:
    fit = SbgFit(alpha=1.0, beta=1.0, log_likelihood=0.0, converged=True)
    # S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t); r_t = t / (t + 1).
    assert list(fit.survival([0, 1, 3])) == pytest.approx([1.0, 0.5, 0.25])
    assert list(fit.retention_rate([1, 4])) == pytest.approx([0.5, 0.8])
    # After one month: S(2)/S(1) + S(3)/S(1) = 2/3 + 1/2.
    assert fit.expected_months([1], 2)[0] == pytest.approx(7 / 6)
    discounted = fit.expected_months([1], 2, monthly_discount=0.1)[0]
    assert discounted == pytest.approx(2 / 3 / 1.1 + 1 / 2 / 1.21)


def test_bad_records_are_refused() -> None:
    with pytest.raises(ValueError, match="churn periods >= 1"):
        fit_sbg([0], [True])
    with pytest.raises(ValueError, match="after entry"):
        fit_sbg([3], [True], entered=[3])
    with pytest.raises(ValueError, match="never rise"):
        fit_sbg_survival([1.0, 0.5, 0.6])


def test_whole_calendar_months() -> None:
    starts = pd.Series(pd.to_datetime(["2026-09-15", "2026-09-15", "2027-01-01"]))
    ends = pd.Series(pd.to_datetime(["2026-12-14", "2026-12-15", "2026-12-01"]))
    assert list(whole_months(starts, ends)) == [2, 3, 0]


def _customer(no: str, since: date, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "customer": no,
        "customer_type": "individual",
        "customer_since": since,
        "channel": "app",
        "status": "active",
        "status_date": since,
    }
    row.update(extra)
    return row


def _closed(no: str, since: date, left: date) -> dict[str, object]:
    return _customer(no, since, status="closed", status_date=left)


def _account(no: str, customer: str, method: str = "cash") -> dict[str, object]:
    return {"account": no, "customer": customer, "pay_method": method}


def _monthly_bills(
    account: str, customer: str, amount: float
) -> list[dict[str, object]]:
    """Bills for 2026-06..2026-11, issued on the first of the next month."""
    rows: list[dict[str, object]] = []
    for month in range(6, 12):
        issue = date(2026, month + 1, 1) if month < 12 else date(2027, 1, 1)
        rows.append(
            {
                "bill_no": f"B{customer}{month:02d}",
                "account": account,
                "customer": customer,
                "period": date(2026, month, 1),
                "issue_date": issue,
                "due_date": issue.replace(day=20),
                "amount": amount,
            }
        )
    return rows


def _paid(bills: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {
            "payment_no": f"P{bill['bill_no']}",
            "account": bill["account"],
            "customer": bill["customer"],
            "bill_no": bill["bill_no"],
            "paid_at": datetime.combine(bill["issue_date"], datetime.min.time()),  # type: ignore[arg-type]
            "amount": bill["amount"],
        }
        for bill in bills
    ]


def test_retention_records_are_monthly_cohorts_with_entry_tenure(
    make_operator: Callable[..., OperatorData],
) -> None:
    bills = _monthly_bills("A1", "P1", 10.0)  # the churn records begin 2026-06-01
    data = make_operator(
        customers=[
            _customer("P1", date(2026, 1, 15)),  # in at 4 months, 10 by as_of
            _closed("P2", date(2026, 3, 10), date(2026, 8, 20)),  # in at 2, left in 6
            _closed("P3", date(2026, 7, 1), date(2026, 7, 20)),  # left in month 1
            _closed("P4", date(2020, 1, 1), date(2026, 3, 1)),  # left before: not seen
            _customer("P5", date(2025, 1, 1)),  # prepaid: not a contract customer
            _closed("P6", date(2026, 4, 1), date(2026, 6, 15)),  # in at 2, left in 3
            _closed("P7", date(2026, 4, 1), date(2026, 12, 15)),  # leaves after as_of
        ],
        accounts=[_account("A1", "P1"), _account("A5", "P5", "prepaid")],
        bills=bills,
    )
    records = retention_records(data, as_of=AS_OF)
    assert records.to_dict("records") == [
        {"entered": 0, "periods": 1, "churned": True, "customers": 1},
        {"entered": 2, "periods": 3, "churned": True, "customers": 1},
        {"entered": 2, "periods": 6, "churned": True, "customers": 1},
        {"entered": 2, "periods": 8, "churned": False, "customers": 1},
        {"entered": 4, "periods": 10, "churned": False, "customers": 1},
    ]


@pytest.fixture
def two_customers(make_operator: Callable[..., OperatorData]) -> OperatorData:
    """C1 postpaid since 2026-06-01 paying 100 a month; C2 prepaid topping up;
    C3 prepaid without a top-up yet."""
    bills = _monthly_bills("A1", "C1", 100.0)
    topups = [
        {
            "payment_no": f"T{month}",
            "account": "A2",
            "customer": "C2",
            "bill_no": None,
            "paid_at": datetime(2026, month, 5, 10),
            "amount": 50.0 if month % 2 else 30.0,
        }
        for month in range(6, 12)
    ]
    return make_operator(
        customers=[
            _customer("C1", date(2026, 6, 1)),
            _customer("C2", date(2025, 1, 1)),
            _customer("C3", date(2026, 11, 20)),
        ],
        accounts=[
            _account("A1", "C1"),
            _account("A2", "C2", "prepaid"),
            _account("A3", "C3", "prepaid"),
        ],
        bills=bills,
        payments=_paid(bills) + topups,
    )


GIVEN_FITS = ClvFits(
    sbg=SbgFit(alpha=1.0, beta=1.0, log_likelihood=0.0, converged=True),
    bgnbd=BgNbdFit(r=2.0, alpha=3.0, a=0.5, b=4.0, log_likelihood=0.0, converged=True),
    gamma_gamma=GammaGammaFit(
        p=5.0, q=4.0, gamma=30.0, log_likelihood=0.0, converged=True
    ),
)


def test_contract_clv_is_revenue_times_discounted_sbg_months(
    two_customers: OperatorData,
) -> None:
    clv = operator_clv(
        two_customers,
        as_of=AS_OF,
        horizon_months=2,
        monthly_discount=0.01,
        margin=0.5,
        fits=GIVEN_FITS,
    ).set_index("customer")
    c1 = clv.loc["C1"]
    assert c1["clv_model"] == "sbg"
    assert c1["tenure_months"] == 6
    assert c1["monthly_revenue"] == pytest.approx(100.0)  # 600 over 6 months
    # S(t) = 1 / (1 + t): S(7)/S(6) = 7/8, S(8)/S(6) = 7/9.
    assert c1["expected_months"] == pytest.approx(7 / 8 + 7 / 9)
    assert c1["clv"] == pytest.approx(0.5 * 100 * (7 / 8 / 1.01 + 7 / 9 / 1.01**2))
    assert c1["probability_alive"] == 1.0
    assert clv.attrs["fits"] == GIVEN_FITS


def test_default_margin_is_the_customers_own(two_customers: OperatorData) -> None:
    clv = operator_clv(
        two_customers,
        as_of=AS_OF,
        horizon_months=2,
        monthly_discount=0.0,
        fits=GIVEN_FITS,
    ).set_index("customer")
    # 600 revenue less 3 % development and 2 % retention; no usage, no tickets.
    assert clv.loc["C1", "margin"] == pytest.approx(0.95)
    assert clv.loc["C1", "clv"] == pytest.approx(0.95 * 100 * (7 / 8 + 7 / 9))


def test_prepaid_clv_is_bgnbd_gamma_gamma_on_top_ups(
    two_customers: OperatorData,
) -> None:
    clv = operator_clv(
        two_customers, as_of=AS_OF, horizon_months=24, margin=1.0, fits=GIVEN_FITS
    ).set_index("customer")
    topups = pd.DataFrame(
        {"c": ["C2"] * 6, "d": [f"2026-{m:02d}-05" for m in range(6, 12)],
         "v": [30.0, 50.0, 30.0, 50.0, 30.0, 50.0]}
    )  # fmt: skip
    rfm = rfm_summary(
        topups, customer="c", date="d", value="v", calibration_end=AS_OF, period="M"
    )
    expected = customer_lifetime_value(
        GIVEN_FITS.bgnbd,  # type: ignore[arg-type]
        GIVEN_FITS.gamma_gamma,  # type: ignore[arg-type]
        rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"],
        horizon_periods=24, discount_rate_per_period=0.01,
    )  # fmt: skip
    assert clv.loc["C2", "clv_model"] == "bgnbd"
    assert clv.loc["C2", "clv"] == pytest.approx(expected[0])
    # No top-up yet: a new customer's expected top-ups at the population mean spend.
    assert clv.loc["C3", "expected_purchases"] > 0
    assert np.isfinite(clv.loc["C3", "clv"]) and clv.loc["C3", "clv"] > 0


def test_every_live_generated_customer_gets_a_finite_clv(
    generated_operator: SampleOperator,
) -> None:
    clv = operator_clv(generated_operator.data, as_of=AS_OF)
    assert list(clv.columns) == list(CLV_COLUMNS)
    churn = generated_operator.truth("churn")
    gone = (pd.to_datetime(churn["churn_date"]) <= pd.Timestamp(AS_OF)).sum()
    assert len(clv) == generated_operator.data["customers"].num_rows - gone
    assert np.isfinite(clv["clv"]).all()

    traits = generated_operator.truth("traits").set_index("cust_no")
    prepaid = traits["prepaid"].reindex(clv["customer"]).eq("1").to_numpy()
    assert list(clv["clv_model"]) == ["bgnbd" if p else "sbg" for p in prepaid]
    revenue = traits["revenue_cents"].astype(int).reindex(clv["customer"])
    assert spearmanr(clv["clv"], revenue).statistic > 0.85  # measured 0.904 (seed 5)
    fits = clv.attrs["fits"]
    # Churn in the generated operator does not depend on tenure: the sBG finds a
    # near-constant monthly churn probability of about 2.9 %.
    assert fits.sbg.alpha / (fits.sbg.alpha + fits.sbg.beta) == pytest.approx(
        0.029, abs=0.004
    )
