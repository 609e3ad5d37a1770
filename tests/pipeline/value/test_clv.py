"""BG/NBD, Gamma-Gamma, RFM: published CDNOW tables, recovery, exact RFM."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcrm_pipeline.value import (
    BgNbdFit,
    ClvInputError,
    GammaGammaFit,
    customer_lifetime_value,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    rfm_summary,
)

CDNOW = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "cdnow"
needs_cdnow = pytest.mark.skipif(
    not (CDNOW / "CDNOW_sample.txt").exists(),
    reason=f"CDNOW data absent: {CDNOW}/CDNOW_sample.txt (see docs/clv.md)",
)

# Fader, Hardie & Lee (2005), Marketing Science 24(2), table 1 (BG/NBD), and
# Fader & Hardie, "The Gamma-Gamma model of monetary value" (note 025).
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow_rfm() -> pd.DataFrame:
    transactions = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "value"],
        dtype=str,
    )
    return rfm_summary(
        transactions,
        customer="customer",
        date="date",
        value="value",
        calibration_end=date(1997, 9, 30),
    )


@needs_cdnow
def test_cdnow_rfm_matches_the_published_summary(cdnow_rfm: pd.DataFrame) -> None:
    summary = pd.read_csv(
        CDNOW / "cdnow_customers_summary_with_transactions.csv",
        dtype={"ID": int},
    )
    summary.index = summary["ID"].map(lambda i: f"{i:04d}")
    assert len(cdnow_rfm) == 2357
    assert int(cdnow_rfm["frequency"].sum()) == 2457
    assert int((cdnow_rfm["frequency"] > 0).sum()) == 946
    assert (cdnow_rfm["frequency"] == summary["x"]).all()
    # The summary file rounds to two decimals.
    assert np.allclose(cdnow_rfm["recency"], summary["t_x"], atol=0.005)
    assert np.allclose(cdnow_rfm["T"], summary["T"], atol=0.005)
    assert np.allclose(cdnow_rfm["monetary_value"], summary["zbar"], atol=0.005 + 1e-9)
    assert cdnow_rfm["duration_holdout"].iloc[0] == 39.0


@needs_cdnow
def test_cdnow_bgnbd_reproduces_the_published_table(cdnow_rfm: pd.DataFrame) -> None:
    fit = fit_bgnbd(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert fit.converged
    assert round(fit.r, 3) == PUBLISHED_BGNBD["r"]
    assert round(fit.alpha, 3) == PUBLISHED_BGNBD["alpha"]
    assert round(fit.a, 3) == PUBLISHED_BGNBD["a"]
    assert round(fit.b, 3) == PUBLISHED_BGNBD["b"]
    assert round(fit.log_likelihood, 1) == PUBLISHED_BGNBD_LL


@needs_cdnow
def test_cdnow_bgnbd_on_the_rounded_summary_file() -> None:
    summary = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    fit = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    assert (round(fit.r, 3), round(fit.alpha, 3)) == (0.243, 4.414)
    assert (round(fit.a, 3), round(fit.b, 3)) == (0.793, 2.426)
    assert round(fit.log_likelihood, 1) == PUBLISHED_BGNBD_LL


@needs_cdnow
def test_cdnow_gamma_gamma_reproduces_the_published_table(
    cdnow_rfm: pd.DataFrame,
) -> None:
    fit = fit_gamma_gamma(cdnow_rfm["frequency"], cdnow_rfm["monetary_value"])
    assert fit.converged
    assert round(fit.p, 2) == PUBLISHED_GG["p"]
    assert round(fit.q, 2) == PUBLISHED_GG["q"]
    assert round(fit.gamma, 2) == PUBLISHED_GG["gamma"]
    assert round(fit.log_likelihood, 1) == -4055.9


def test_conditional_expectation_of_the_papers_worked_example() -> None:
    # FHL (2005), section 5: x = 2, t_x = 30.43, T = 38.86 -> 1.226 in 39 weeks.
    fit = BgNbdFit(0.243, 4.414, 0.793, 2.426, -9582.4, True)
    assert round(float(expected_purchases(fit, 39, 2, 30.43, 38.86)[()]), 2) == 1.23
    assert float(probability_alive(fit, 0, 0.0, 38.86)[()]) == 1.0
    alive = probability_alive(fit, [2, 2], [30.43, 10.0], [38.86, 38.86])
    assert 0 < alive[1] < alive[0] < 1


def _simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, seed: int
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    horizon = rng.uniform(26.0, 52.0, n)
    now = np.zeros(n)
    frequency = np.zeros(n, dtype=int)
    recency = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1.0, idx.size) / rate[idx]
        bought = now[idx] <= horizon[idx]
        buyers = idx[bought]
        frequency[buyers] += 1
        recency[buyers] = now[buyers]
        active[idx[~bought]] = False
        # After each repeat purchase the customer drops out with probability p.
        active[buyers[rng.uniform(size=buyers.size) < dropout[buyers]]] = False
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": horizon})


def test_bgnbd_recovers_simulated_parameters() -> None:
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
    data = _simulate_bgnbd(20_000, **truth, seed=20260101)
    fit = fit_bgnbd(data["frequency"], data["recency"], data["T"])
    assert fit.converged
    assert fit.r == pytest.approx(truth["r"], rel=0.1)
    assert fit.alpha == pytest.approx(truth["alpha"], rel=0.1)
    assert fit.a == pytest.approx(truth["a"], rel=0.2)
    assert fit.b == pytest.approx(truth["b"], rel=0.2)


def test_gamma_gamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    p, q, gamma = 6.0, 4.0, 15.0
    frequency = rng.integers(1, 8, 5_000)
    nu = rng.gamma(q, 1 / gamma, frequency.size)
    mean_spend = np.array(
        [rng.gamma(p, 1 / v, k).mean() for v, k in zip(nu, frequency, strict=True)]
    )
    fit = fit_gamma_gamma(frequency, mean_spend)
    assert fit.converged
    assert fit.p == pytest.approx(p, rel=0.1)
    assert fit.q == pytest.approx(q, rel=0.15)
    assert fit.gamma == pytest.approx(gamma, rel=0.2)


def _tiny(dates: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cust": ["A", "A", "A", "A", "A", "B", "C"],
            "day": dates,
            "amount": ["10", "5", "20", "30.5", "7", "12", "99"],
        }
    )


TINY_ISO = [
    "1997-01-01",
    "1997-01-01",
    "1997-01-15",
    "1997-01-29",
    "1997-03-05",
    "1997-01-08",
    "1997-03-01",
]


@pytest.mark.parametrize(
    "dates",
    [TINY_ISO, [int(d.replace("-", "")) for d in TINY_ISO]],
    ids=["iso", "yyyymmdd-int"],
)
def test_rfm_summary_exact_values(dates: list[object]) -> None:
    rfm = rfm_summary(
        _tiny(dates),
        customer="cust",
        date="day",
        value="amount",
        calibration_end="1997-02-26",
    )
    # A: two same-day purchases merge into the first; repeats on weeks 2 and 4;
    # one holdout purchase. B: one purchase only. C: first buys after calibration.
    assert rfm.index.tolist() == ["A", "B"]
    assert rfm["frequency"].tolist() == [2, 0]
    assert rfm["recency"].tolist() == [4.0, 0.0]
    assert rfm["T"].tolist() == [8.0, 7.0]
    assert rfm["monetary_value"].tolist() == [25.25, 0.0]
    assert rfm["frequency_holdout"].tolist() == [1, 0]
    assert rfm["monetary_value_holdout"].tolist() == [7.0, 0.0]
    assert rfm["duration_holdout"].tolist() == [1.0, 1.0]


def test_rfm_summary_in_days_without_holdout() -> None:
    rfm = rfm_summary(
        _tiny(TINY_ISO).iloc[:6],
        customer="cust",
        date="day",
        value="amount",
        calibration_end="19970305",
        period="D",
    )
    assert rfm["frequency"].tolist() == [3, 0]
    assert rfm["recency"].tolist() == [63.0, 0.0]
    assert rfm["T"].tolist() == [63.0, 56.0]
    assert "frequency_holdout" not in rfm.columns


def test_rfm_summary_known_first_purchase_origin() -> None:
    rfm = rfm_summary(
        _tiny(TINY_ISO).iloc[:6],
        customer="cust",
        date="day",
        value="amount",
        calibration_end="1997-02-26",
        first_purchase_origin={"B": "1996-12-25"},
    )
    # B's activation a week before the data: its one purchase is a repeat.
    assert rfm.loc["B"].tolist()[:4] == [1, 2.0, 9.0, 12.0]


def test_rfm_summary_names_the_bad_row_and_column() -> None:
    frame = _tiny(TINY_ISO)
    frame.loc[3, "day"] = "1997-02-30"
    with pytest.raises(
        ClvInputError, match=r"column .day.: unparseable date .1997-02-30. .*at row 3"
    ):
        rfm_summary(
            frame, customer="cust", date="day", value="amount", calibration_end=19970226
        )
    frame = _tiny(TINY_ISO)
    frame.loc[2, "amount"] = "12,5"
    with pytest.raises(ClvInputError, match=r"column 'amount'.*'12,5' at row 2"):
        rfm_summary(
            frame, customer="cust", date="day", value="amount", calibration_end=19970226
        )
    with pytest.raises(ClvInputError, match="missing column 'price'"):
        rfm_summary(
            frame, customer="cust", date="day", value="price", calibration_end=19970226
        )


def test_expected_value_and_clv() -> None:
    gg = GammaGammaFit(6.25, 3.74, 15.44, 0.0, True)
    bg = BgNbdFit(0.243, 4.414, 0.793, 2.426, 0.0, True)
    population = 6.25 * 15.44 / 2.74
    assert gg.mean_value == pytest.approx(population)
    value = expected_average_value(gg, [0, 2], [0.0, 50.0])
    assert value[0] == pytest.approx(population)
    assert value[1] == pytest.approx(6.25 * (15.44 + 100.0) / (12.5 + 2.74))
    undiscounted = customer_lifetime_value(
        bg, gg, [2], [30.43], [38.86], [50.0],
        horizon_periods=39, discount_rate_per_period=0.0,
    )  # fmt: skip
    expected = expected_purchases(bg, 39, 2, 30.43, 38.86) * value[1]
    assert undiscounted[0] == pytest.approx(float(expected[()]))
    discounted = customer_lifetime_value(
        bg, gg, [2], [30.43], [38.86], [50.0],
        horizon_periods=39, discount_rate_per_period=0.01,
    )  # fmt: skip
    assert 0 < discounted[0] < undiscounted[0]
