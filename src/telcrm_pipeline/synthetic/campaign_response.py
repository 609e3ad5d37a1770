"""Generated customers answering a retention campaign, with a known effect.

A retention campaign runs on a generated operator once its window has ended: the app
picks target customers, holds out a random control group, agents call the treated
customers, and after a follow-up horizon the app measures the retention uplift
(retention rate treated - control). This module plays the customers' side and knows
the true effect, so an end-to-end test can check the app's estimate against it.

The model, per customer ``i`` (identified by its CRM ``cust_no``):

* ``p_i`` (:meth:`CampaignResponder.baseline_churn_probability`): the probability of
  churning within ``horizon_days`` after the window if nobody calls. It continues the
  generator's own monthly churn hazard (``behaviour.decide_churn``) from the latent
  traits and the silos: a contract that ended in the window or ends within the
  horizon, complaint
  propensity, price pressure (price sensitivity x the primary mobile plan's fee
  relative to value), bad coverage, organisations less; the unobserved competitor
  offer is averaged out. Social contagion is left out. Customers without a mobile
  line never churn in the generator, so ``p_i = 0``; customers who already churned
  inside the generated window have ``p_i = 1`` (they are gone whatever happens).
* Calls (:meth:`CampaignResponder.call_outcome`): each attempt is answered with
  ``answer_rate``; an answered call ends in an opt-out (``opt_out_share``), a request
  to call back (``call_back_share``), or a decision. The decision is the customer's
  own, the same at every attempt: accept with ``q_i``, else refuse, where
  ``logit q_i = logit accept_rate + accept_price_weight (price_sensitivity - 0.4)
  + accept_risk_weight (logit p_i - logit 0.05)``: price-sensitive and at-risk
  customers take an offer more readily. Already-churned customers never answer.
* Outcome (:meth:`CampaignResponder.churned`): one uniform draw ``u_i`` per customer,
  ``churned = u_i < p_i (1 - save_rate)`` after an accepted offer, else ``u_i < p_i``.
  The same ``u_i`` serves both worlds (common random numbers), so an accepted offer
  only ever saves a customer, and it saves exactly the ``save_rate`` share of
  would-be churners in expectation.
* Known effect (:meth:`CampaignResponder.expected_uplift`):
  ``save_rate * mean over treated i of p_i [i accepted]``.

Every draw comes from its own ``numpy`` stream keyed by (model seed, purpose,
customer number, attempt), never from shared state, so results do not depend on the
order of calls nor on which other customers are asked about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from telcrm_pipeline.synthetic.config import Calendar

CALL_OUTCOMES = ("no_answer", "refused", "accepted", "call_back", "opt_out")
DAYS_PER_MONTH = 365.25 / 12

# The generator's monthly churn hazard (``behaviour.decide_churn``), kept in step.
HAZARD_INTERCEPT = -7.8
CONTRACT_PRESSURE = 1.8
COMPLAINT_WEIGHT, COMPLAINT_CAP = 0.9, 3.0
PRICE_WEIGHT, PRICE_FEE_PER_VALUE, PRICE_CAP = 1.3, 45.0, 2.5
COVERAGE_PRESSURE = 1.5
ORGANISATION_SHIFT = -1.2
COMPETITOR_MEAN = 0.5  # exponential pressure, unobserved: integrated out
MIN_TENURE_DAYS = 60  # the generator lets no newer customer churn

# Acceptance reference points: a customer with the mean price sensitivity and a 5 %
# horizon churn risk accepts with ``accept_rate``.
PRICE_SENSITIVITY_REFERENCE = 0.4
RISK_REFERENCE = 0.05

# spawn_key heads of this module's streams, apart from the generator's components
# (``config.COMPONENTS`` indexes, all below 100).
CAMPAIGN_STREAM = 1000
CHURN_DRAW, CALL_DRAW, DECISION_DRAW = 0, 1, 2


@dataclass(frozen=True)
class ResponseModel:
    """The campaign's response parameters.

    Parameters
    ----------
    seed : int
        Seed of the responses (independent of the operator's own seed).
    horizon_days : int
        Follow-up window after the generated window, in days.
    save_rate : float
        Share of would-be churners whom an accepted offer keeps.
    answer_rate : float
        Probability that one call attempt is answered.
    opt_out_share : float
        Share of answered calls in which the customer asks never to be called again
        (about 2.6 % of all attempts with the defaults).
    call_back_share : float
        Share of answered calls that end with "call me back later".
    accept_rate : float
        Probability that a reference customer (price sensitivity 0.4, horizon churn
        risk 5 %) accepts the offer when the call comes to a decision.
    accept_price_weight : float
        Log-odds of acceptance per unit of price sensitivity above 0.4.
    accept_risk_weight : float
        Log-odds of acceptance per unit of the churn risk's log-odds above 5 %.
    """

    seed: int
    horizon_days: int = 90
    save_rate: float = 0.6
    answer_rate: float = 0.65
    opt_out_share: float = 0.04
    call_back_share: float = 0.12
    accept_rate: float = 0.40
    accept_price_weight: float = 1.5
    accept_risk_weight: float = 0.25

    def __post_init__(self) -> None:
        shares = {
            "save_rate": self.save_rate,
            "answer_rate": self.answer_rate,
            "opt_out_share": self.opt_out_share,
            "call_back_share": self.call_back_share,
            "accept_rate": self.accept_rate,
        }
        for name, share in shares.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {share}")
        if not 0.0 < self.accept_rate < 1.0:
            raise ValueError("accept_rate must be strictly between 0 and 1")
        if self.opt_out_share + self.call_back_share > 1.0:
            raise ValueError("opt_out_share + call_back_share must not exceed 1")
        if self.horizon_days < 1:
            raise ValueError("horizon_days must be positive")


class CampaignResponder:
    """The customers of one generated operator, answering a retention campaign.

    Built from the operator's directory (``truth/manifest.json``, ``truth/traits.csv``,
    ``truth/churn.csv``, ``silos/crm/customers.csv``, ``silos/crm/subscriptions.csv``,
    ``silos/crm/offers.csv``). Customers are identified by their CRM customer number
    (``cust_no`` in the silos, which the app stores as ``Customer.customer_number``);
    an unknown number raises ``KeyError``.

    The follow-up horizon starts the day after the generated window ends
    (:attr:`horizon_start`) and lasts ``model.horizon_days`` days.
    """

    def __init__(self, operator_dir: Path, model: ResponseModel) -> None:
        self.model = model
        operator_dir = Path(operator_dir)
        manifest = json.loads((operator_dir / "truth/manifest.json").read_text("utf-8"))
        parameters = manifest["parameters"]
        calendar = Calendar.starting(parameters["start"], int(parameters["months"]))
        window_start = date.fromisoformat(str(calendar.first_day))
        self.horizon_start: date = date.fromisoformat(
            str(calendar.month_starts[-1].astype("datetime64[D]"))
        )
        self.horizon_end: date = self.horizon_start + timedelta(
            days=model.horizon_days - 1
        )
        encoding = manifest["encoding"]

        def read(relative: str) -> pd.DataFrame:
            return pd.read_csv(
                operator_dir / relative,
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
            )

        traits = read("truth/traits.csv")
        self.cust_nos: tuple[str, ...] = tuple(traits["cust_no"])
        self._index = {cust_no: i for i, cust_no in enumerate(self.cust_nos)}
        churned = read("truth/churn.csv")["cust_no"]
        self._gone = traits["cust_no"].isin(set(churned)).to_numpy()
        customers = read("silos/crm/customers.csv").set_index("cust_no")
        customers = customers.reindex(traits["cust_no"])
        fee, contract_end = primary_mobile_plans(
            read("silos/crm/subscriptions.csv"), read("silos/crm/offers.csv"), traits
        )
        since = pd.to_datetime(customers["customer_since"]).dt.date.to_numpy()
        p_month = monthly_hazard(
            value=traits["value"].astype(float).to_numpy(),
            price_sensitivity=traits["price_sensitivity"].astype(float).to_numpy(),
            complaint_propensity=traits["complaint_propensity"]
            .astype(float)
            .to_numpy(),
            bad_coverage=traits["bad_coverage"].astype(int).to_numpy() == 1,
            is_org=(customers["cust_type"] == "organisation").to_numpy(),
            fee=fee,
            contract_ends=np.array(
                [
                    end is not None and window_start <= end <= self.horizon_end
                    for end in contract_end
                ]
            ),
        )
        # The generator lets no customer churn in their first 60 days: one who joined
        # late in the window is only exposed for part of the horizon.
        eligible_from = np.array(
            [
                max(
                    (s + timedelta(days=MIN_TENURE_DAYS) - self.horizon_start).days,
                    0,
                )
                for s in since
            ]
        )
        exposed = np.clip(model.horizon_days - eligible_from, 0, None)
        p_base = 1.0 - (1.0 - p_month) ** (exposed / DAYS_PER_MONTH)
        p_base = np.where(np.isnan(fee), 0.0, p_base)
        self._p_base = np.where(self._gone, 1.0, p_base)
        self._price_sensitivity = traits["price_sensitivity"].astype(float).to_numpy()

    # -- the customers' latent answers ------------------------------------------------

    def baseline_churn_probability(self, cust_no: str) -> float:
        """Probability of churning within the horizon if nobody calls.

        1.0 for customers who already churned inside the generated window (they are
        not excluded: they stay gone, never answer and cannot be saved); 0.0 for
        customers without a mobile line, whom the generator never lets churn.
        """
        return float(self._p_base[self._position(cust_no)])

    def already_churned(self, cust_no: str) -> bool:
        """Whether the customer left inside the generated window (truth/churn.csv)."""
        return bool(self._gone[self._position(cust_no)])

    def accept_probability(self, cust_no: str) -> float:
        """``q_i``: probability of accepting when an answered call comes to a decision.

        0.0 for customers who already churned.
        """
        i = self._position(cust_no)
        if self._gone[i]:
            return 0.0
        p = float(np.clip(self._p_base[i], 1e-6, 1 - 1e-6))
        logit = (
            _logit(self.model.accept_rate)
            + self.model.accept_price_weight
            * (self._price_sensitivity[i] - PRICE_SENSITIVITY_REFERENCE)
            + self.model.accept_risk_weight * (_logit(p) - _logit(RISK_REFERENCE))
        )
        return float(1.0 / (1.0 + np.exp(-logit)))

    def call_outcome(self, cust_no: str, attempt: int) -> str:
        """What happens on call ``attempt`` (1, 2, ...) to the customer: one of
        ``CALL_OUTCOMES``.

        Deterministic for (model seed, cust_no, attempt). Answered with
        ``answer_rate``; an answered call ends in ``opt_out`` (``opt_out_share``),
        ``call_back`` (``call_back_share``) or the customer's decision, which is the
        same at every attempt: ``accepted`` with :meth:`accept_probability`, else
        ``refused``. Customers who already churned never answer.
        """
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        i = self._position(cust_no)
        if self._gone[i]:
            return "no_answer"
        answer, kind = self._draw(CALL_DRAW, cust_no, attempt, size=2)
        if answer >= self.model.answer_rate:
            return "no_answer"
        if kind < self.model.opt_out_share:
            return "opt_out"
        if kind < self.model.opt_out_share + self.model.call_back_share:
            return "call_back"
        (decision,) = self._draw(DECISION_DRAW, cust_no, 0, size=1)
        return "accepted" if decision < self.accept_probability(cust_no) else "refused"

    def churned(self, cust_no: str, *, accepted_offer: bool) -> bool:
        """Whether the customer churns within the horizon (or already churned).

        One uniform ``u`` per (model seed, cust_no): ``u < p * (1 - save_rate)`` after
        an accepted offer, else ``u < p``. Hence a customer who churns after accepting
        would have churned without the offer too.
        """
        i = self._position(cust_no)
        if self._gone[i]:
            return True
        (u,) = self._draw(CHURN_DRAW, cust_no, 0, size=1)
        keep = 1.0 - self.model.save_rate if accepted_offer else 1.0
        return bool(u < self._p_base[i] * keep)

    # -- the known effect -------------------------------------------------------------

    def expected_uplift(
        self,
        treated: Iterable[str],
        accepted: set[str],
        control: Iterable[str] | None = None,
    ) -> float:
        """The known treatment effect on the retention rate of these treated customers.

        ``save_rate * mean over treated i of p_i * [i in accepted]``, where ``p_i`` is
        :meth:`baseline_churn_probability` (customers who already churned count 0:
        they can neither accept nor be saved). It is the intention-to-treat effect
        (everyone assigned to treatment counts, reached or not) on the retention rate,
        conditional on who accepted; the expected value of retention rate treated -
        control over the churn draws and the random assignment.

        ``accepted`` must be a subset of ``treated``. ``control``, when given, is only
        checked: it must not share a customer with ``treated`` (the estimate does
        not depend on it; see :meth:`expected_difference` for the figure conditional on
        both groups).
        """
        treated = list(treated)
        if not treated:
            raise ValueError("no treated customers")
        self._check_groups(treated, accepted, control)
        rows = self._rows(treated)
        took_offer = np.array([c in accepted for c in treated], dtype=bool)
        saved = np.where(
            took_offer & ~self._gone[rows],
            self.model.save_rate * self._p_base[rows],
            0.0,
        )
        return float(saved.mean())

    def expected_difference(
        self, treated: Iterable[str], accepted: set[str], control: Iterable[str]
    ) -> float:
        """The expected observed retention difference, treated - control, given groups.

        :meth:`expected_uplift` plus the chance imbalance of baseline risk between the
        two groups: ``mean_control p - mean_treated p``. Its expectation over the random
        split is the uplift itself; over the churn draws alone the observed difference
        varies around this figure.
        """
        treated, control = list(treated), list(control)
        uplift = self.expected_uplift(treated, accepted, control)
        p_treated = self._p_base[self._rows(treated)].mean()
        control_rows = self._rows(control)
        if len(control_rows) == 0:
            raise ValueError("no control customers")
        return float(uplift + self._p_base[control_rows].mean() - p_treated)

    # -- internals --------------------------------------------------------------------

    def _position(self, cust_no: str) -> int:
        try:
            return self._index[cust_no]
        except KeyError:
            raise KeyError(f"unknown customer number {cust_no!r}") from None

    def _rows(self, cust_nos: Iterable[str]) -> np.ndarray:
        return np.array([self._position(c) for c in cust_nos], dtype=np.int64)

    def _check_groups(
        self,
        treated: Iterable[str],
        accepted: set[str],
        control: Iterable[str] | None,
    ) -> None:
        treated_set = set(treated)
        stray = set(accepted) - treated_set
        if stray:
            raise ValueError(f"accepted customers not treated: {sorted(stray)[:5]}")
        if control is not None:
            both = treated_set & set(control)
            if both:
                raise ValueError(
                    f"customers both treated and control: {sorted(both)[:5]}"
                )

    def _draw(
        self, purpose: int, cust_no: str, attempt: int, *, size: int
    ) -> np.ndarray:
        """Uniform draws of one (purpose, customer, attempt) stream."""
        key = (CAMPAIGN_STREAM, purpose, customer_key(cust_no), attempt)
        sequence = np.random.SeedSequence(self.model.seed, spawn_key=key)
        return np.random.default_rng(sequence).random(size)


def customer_key(cust_no: str) -> int:
    """A stable integer of a customer number (its UTF-8 bytes), for the stream key."""
    return int.from_bytes(cust_no.encode("utf-8"), "big")


def primary_mobile_plans(
    subscriptions: pd.DataFrame, offers: pd.DataFrame, traits: pd.DataFrame
) -> tuple[np.ndarray, list[date | None]]:
    """Monthly fee (NaN without a mobile line) and contract end of each customer's
    first mobile line (plan or bundle, in ``subs_id`` order), aligned with traits."""
    mobile = offers[
        offers["line_of_business"].str.startswith("mobile")
        & offers["kind"].isin(["plan", "bundle"])
    ].set_index("offer_code")
    lines = subscriptions[subscriptions["offer_code"].isin(mobile.index)]
    first = lines.sort_values("subs_id").drop_duplicates("cust_no").set_index("cust_no")
    first = first.reindex(traits["cust_no"])
    fee = (
        first["offer_code"]
        .map(mobile["monthly_fee"])
        .astype(float)
        .to_numpy(dtype=float, na_value=np.nan)
    )
    contract_end = [
        date.fromisoformat(end) if isinstance(end, str) and end else None
        for end in first["contract_end"]
    ]
    return fee, contract_end


def monthly_hazard(
    *,
    value: np.ndarray,
    price_sensitivity: np.ndarray,
    complaint_propensity: np.ndarray,
    bad_coverage: np.ndarray,
    is_org: np.ndarray,
    fee: np.ndarray,
    contract_ends: np.ndarray,
) -> np.ndarray:
    """The generator's monthly churn probability, averaged over the competitor offer.

    ``logit = -7.8 + 1.8 [contract ends] + 0.9 min(complaints, 3)
    + 1.3 price_sensitivity clip(fee / (45 value), 0, 2.5) + 1.5 [bad coverage]
    - 1.2 [organisation] + e`` with ``e ~ Exponential(mean 0.5)`` unobserved, integrated
    out by Gauss-Laguerre quadrature.
    """
    fee = np.nan_to_num(fee, nan=0.0)
    known = (
        HAZARD_INTERCEPT
        + CONTRACT_PRESSURE * contract_ends
        + COMPLAINT_WEIGHT * np.minimum(complaint_propensity, COMPLAINT_CAP)
        + PRICE_WEIGHT
        * price_sensitivity
        * np.clip(fee / (PRICE_FEE_PER_VALUE * value), 0, PRICE_CAP)
        + COVERAGE_PRESSURE * bad_coverage
        + ORGANISATION_SHIFT * is_org
    )
    nodes, weights = np.polynomial.laguerre.laggauss(32)
    logits = known[:, None] + COMPETITOR_MEAN * nodes[None, :]
    return (weights[None, :] / (1.0 + np.exp(-logits))).sum(axis=1)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))
