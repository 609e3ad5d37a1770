"""The retention-campaign response model: deterministic answers, realistic rates and a
known treatment effect that a randomised campaign recovers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from telcrm_pipeline.synthetic import (
    CALL_OUTCOMES,
    CampaignResponder,
    GeneratorConfig,
    ResponseModel,
    generate_operator,
)

CUSTOMERS, MONTHS, SEED = 3000, 2, 11
FINAL = ("accepted", "refused", "opt_out")


@pytest.fixture(scope="module")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 customers over two months (2026-06 and 2026-07)."""
    out = tmp_path_factory.mktemp("campaign-operator")
    generate_operator(
        GeneratorConfig(customers=CUSTOMERS, months=MONTHS, seed=SEED, out=out)
    )
    return out


@pytest.fixture(scope="module")
def responder(operator_dir: Path) -> CampaignResponder:
    return CampaignResponder(operator_dir, ResponseModel(seed=1))


@pytest.fixture(scope="module")
def active(responder: CampaignResponder) -> list[str]:
    """The customers still there at the end of the window."""
    return [c for c in responder.cust_nos if not responder.already_churned(c)]


def run_campaign(
    responder: CampaignResponder, treated: list[str], attempts: int = 3
) -> set[str]:
    """Call each treated customer until a final answer or ``attempts`` calls."""
    accepted = set()
    for cust_no in treated:
        for attempt in range(1, attempts + 1):
            outcome = responder.call_outcome(cust_no, attempt)
            if outcome == "accepted":
                accepted.add(cust_no)
            if outcome in FINAL:
                break
    return accepted


def test_the_horizon_follows_the_window(responder: CampaignResponder) -> None:
    assert responder.horizon_start == date(2026, 8, 1)
    assert responder.horizon_end == date(2026, 10, 29)
    assert len(responder.cust_nos) == CUSTOMERS


def test_outcomes_are_deterministic_and_independent_of_call_order(
    operator_dir: Path, responder: CampaignResponder
) -> None:
    customers = list(responder.cust_nos)
    again = CampaignResponder(operator_dir, ResponseModel(seed=1))
    forward = [(responder.call_outcome(c, a), c) for c in customers for a in (1, 2)]
    backward = [
        (again.call_outcome(c, a), c) for c in reversed(customers) for a in (2, 1)
    ]
    assert sorted(forward) == sorted(backward)
    churn = [again.churned(c, accepted_offer=False) for c in reversed(customers)]
    assert churn[::-1] == [
        responder.churned(c, accepted_offer=False) for c in customers
    ]

    other = CampaignResponder(operator_dir, ResponseModel(seed=2))
    differ = sum(
        other.call_outcome(c, 1) != responder.call_outcome(c, 1) for c in customers
    )
    assert differ > len(customers) // 3
    # The baseline risk is the operator's, not the responses' seed.
    assert other.baseline_churn_probability(customers[0]) == pytest.approx(
        responder.baseline_churn_probability(customers[0])
    )


def test_call_outcome_rates_are_realistic(
    responder: CampaignResponder, active: list[str]
) -> None:
    counts = Counter(responder.call_outcome(c, a) for c in active for a in (1, 2, 3))
    attempts = sum(counts.values())
    answered = attempts - counts["no_answer"]

    assert set(counts) == set(CALL_OUTCOMES)
    assert len(active) == 2868
    assert counts == {
        "no_answer": 2941,
        "refused": 3127,
        "accepted": 1646,
        "call_back": 673,
        "opt_out": 217,
    }
    assert 0.60 <= answered / attempts <= 0.70
    assert 0.25 <= counts["accepted"] / answered <= 0.40
    assert 0.02 <= counts["opt_out"] / attempts <= 0.032


def test_a_customers_decision_is_the_same_at_every_attempt(
    responder: CampaignResponder, active: list[str]
) -> None:
    for cust_no in active:
        decisions = {responder.call_outcome(cust_no, a) for a in range(1, 6)} & {
            "accepted",
            "refused",
        }
        assert len(decisions) <= 1


def test_baseline_risk_follows_the_traits(
    responder: CampaignResponder, active: list[str]
) -> None:
    p = np.array([responder.baseline_churn_probability(c) for c in active])
    assert ((p > 0) & (p < 1)).all()
    assert 0.02 <= p.mean() <= 0.06
    assert np.quantile(p, 0.95) > 3 * np.median(p)
    gone = [c for c in responder.cust_nos if responder.already_churned(c)]
    assert len(gone) == 132
    assert {responder.baseline_churn_probability(c) for c in gone} == {1.0}
    assert {responder.call_outcome(c, 1) for c in gone} == {"no_answer"}

    # Higher acceptance for higher risk / price sensitivity, within (0, 1).
    q = np.array([responder.accept_probability(c) for c in active])
    assert ((q > 0) & (q < 1)).all()
    risky = p > np.quantile(p, 0.9)
    assert q[risky].mean() > q[~risky].mean()


def test_an_accepted_offer_only_ever_saves(
    responder: CampaignResponder, active: list[str]
) -> None:
    for cust_no in responder.cust_nos:
        if responder.churned(cust_no, accepted_offer=True):
            assert responder.churned(cust_no, accepted_offer=False)
    gone = [c for c in responder.cust_nos if responder.already_churned(c)]
    assert all(responder.churned(c, accepted_offer=True) for c in gone)

    without = sum(responder.churned(c, accepted_offer=False) for c in active)
    with_offer = sum(responder.churned(c, accepted_offer=True) for c in active)
    expected = sum(responder.baseline_churn_probability(c) for c in active)
    assert (without, with_offer) == (97, 40)
    assert abs(without - expected) < 3 * np.sqrt(expected)


def test_a_randomised_campaign_recovers_the_known_effect(
    responder: CampaignResponder, active: list[str]
) -> None:
    rng = np.random.default_rng(2026)
    shuffled = [str(c) for c in rng.permutation(active)]
    treated, control = shuffled[: len(active) // 2], shuffled[len(active) // 2 :]
    accepted = run_campaign(responder, treated)

    kept_t = sum(
        not responder.churned(c, accepted_offer=c in accepted) for c in treated
    )
    kept_c = sum(not responder.churned(c, accepted_offer=False) for c in control)
    assert (len(treated), len(accepted), kept_t, len(control), kept_c) == (
        1434,
        416,
        1398,
        1434,
        1386,
    )
    retained_t, retained_c = kept_t / len(treated), kept_c / len(control)
    difference = retained_t - retained_c
    se = np.sqrt(
        retained_t * (1 - retained_t) / len(treated)
        + retained_c * (1 - retained_c) / len(control)
    )
    known = responder.expected_uplift(treated, accepted, control)

    assert 0.25 <= len(accepted) / len(treated) <= 0.40
    assert difference - 1.96 * se <= known <= difference + 1.96 * se
    assert known == pytest.approx(
        0.6
        * sum(responder.baseline_churn_probability(c) for c in accepted)
        / len(treated)
    )
    assert known > 0
    conditional = responder.expected_difference(treated, accepted, control)
    assert difference - 1.96 * se <= conditional <= difference + 1.96 * se


def test_expected_uplift_checks_the_groups(
    responder: CampaignResponder, active: list[str]
) -> None:
    treated, control = active[:10], active[10:20]
    assert responder.expected_uplift(iter(treated), set()) == 0.0
    with pytest.raises(ValueError, match="not treated"):
        responder.expected_uplift(treated, {control[0]})
    with pytest.raises(ValueError, match="both treated and control"):
        responder.expected_uplift(treated, set(), control + treated[:1])
    with pytest.raises(KeyError, match="unknown customer number"):
        responder.baseline_churn_probability("C999999999")
    with pytest.raises(ValueError, match="save_rate"):
        ResponseModel(seed=1, save_rate=1.5)
