"""Lifetime value of every live customer from the operator's own records (R4).

Two models, one per kind of relationship:

- **Contract / postpaid** customers: the shifted-beta-geometric (sBG) retention model
  of Fader & Hardie (2007, "How to project customer retention", *Journal of
  Interactive Marketing* 21(1)). The operator sees a postpaid customer leave, so
  this is a *contractual* setting: each customer renews every month with their own
  probability 1 - theta, and theta varies across customers as Beta(alpha, beta). The
  mix makes the retention rate rise with tenure (the customers prone to leave leave
  first), which a single churn rate misses. We chose it over a lifelines survival
  model because it needs only start and end dates, has two parameters with a
  closed-form survival curve S(t) = B(alpha, beta + t) / B(alpha, beta), projects
  beyond the observed tenures sensibly, and is checked against the paper's table.
  Per-customer churn reasons and covariates belong to the churn model.
- **Prepaid, non-contract** customers: their departure is not recorded when it
  happens (they simply stop topping up), so BG/NBD + Gamma-Gamma on their top-ups
  (``telcrm_pipeline.value.clv``), with months as the period.

The sBG is fitted by maximum likelihood on monthly cohorts: customers grouped by the
tenure (in whole months) at which we started observing them, the tenure at which
they left or were last seen, and whether they left. Customers who started before
the data's churn records begin are *left-truncated*: their likelihood is conditioned
on having survived to that tenure, S(t) / S(entered), since those of their cohort who
left earlier are not in the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from telcrm_pipeline.operator_data import OperatorData
from telcrm_pipeline.value.clv import (
    BgNbdFit,
    GammaGammaFit,
    bgnbd_log_likelihood,
    customer_lifetime_value,
    expected_average_value,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    probability_alive,
    rfm_summary,
)
from telcrm_pipeline.value.contribution import (
    DEFAULT_RATES,
    CostRates,
    customer_value,
    live_customers,
    prepaid_accounts,
    prepaid_customers,
)

CLV_COLUMNS = (
    "customer",
    "clv_model",
    "tenure_months",
    "monthly_revenue",
    "margin",
    "expected_months",
    "expected_purchases",
    "probability_alive",
    "clv",
)


# ------------------------------------------------------------------------------ sBG


@dataclass(frozen=True)
class SbgFit:
    """sBG parameters: monthly churn probability theta ~ Beta(alpha, beta)."""

    alpha: float
    beta: float
    log_likelihood: float
    converged: bool

    def survival(self, periods: ArrayLike) -> NDArray[np.float64]:
        """S(t) = P(still a customer after t periods) = B(a, b + t) / B(a, b)."""
        t = np.asarray(periods, dtype="float64")
        log_s = special.betaln(self.alpha, self.beta + t) - special.betaln(
            self.alpha, self.beta
        )
        return np.asarray(np.exp(log_s), dtype="float64")

    def retention_rate(self, period: ArrayLike) -> NDArray[np.float64]:
        """r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)."""
        t = np.asarray(period, dtype="float64")
        return np.asarray(
            (self.beta + t - 1) / (self.alpha + self.beta + t - 1), dtype="float64"
        )

    def expected_months(
        self, tenure: ArrayLike, horizon: int, monthly_discount: float = 0.0
    ) -> NDArray[np.float64]:
        """Sum over k = 1..horizon of S(n + k) / S(n) / (1 + d)^k for tenure n: the
        (discounted) months a customer alive after n months will still pay for."""
        n = np.asarray(tenure, dtype="float64")
        total = np.zeros_like(n)
        alive_now = self.survival(n)
        for k in range(1, horizon + 1):
            total += self.survival(n + k) / alive_now / (1 + monthly_discount) ** k
        return total


def sbg_log_likelihood(
    alpha: float,
    beta: float,
    periods: ArrayLike,
    churned: ArrayLike,
    entered: ArrayLike,
) -> NDArray[np.float64]:
    """Per-record log-likelihood, left truncation included.

    A record that ``churned`` in period t (t >= 1) contributes
    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta); one still a customer
    after t periods contributes S(t). Both are divided by S(entered), the chance of
    surviving to the tenure at which observation began.
    """
    t = np.asarray(periods, dtype="float64")
    left = np.asarray(churned, dtype=bool)
    start = np.asarray(entered, dtype="float64")
    base = special.betaln(alpha, beta)
    log_churn = special.betaln(alpha + 1, beta + t - 1) - base
    log_stay = special.betaln(alpha, beta + t) - base
    log_entry = special.betaln(alpha, beta + start) - base
    return np.asarray(np.where(left, log_churn, log_stay) - log_entry, dtype="float64")


def fit_sbg(
    periods: ArrayLike,
    churned: ArrayLike,
    *,
    entered: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> SbgFit:
    """Maximum-likelihood sBG on records (period, churned, entered) with weights.

    ``periods``: the period of churn (>= 1) for churned records, else the periods
    survived; ``entered``: periods already survived when observation began (0 for a
    cohort followed from its start); ``weights``: how many customers a record stands
    for (a cohort table's counts).
    """
    t = np.asarray(periods, dtype="float64")
    left = np.asarray(churned, dtype=bool)
    start = np.zeros_like(t) if entered is None else np.asarray(entered, "float64")
    w = np.ones_like(t) if weights is None else np.asarray(weights, "float64")
    if not (len(t) == len(left) == len(start) == len(w)) or len(t) == 0:
        raise ValueError("periods, churned, entered and weights: same non-zero length")
    if np.any(left & (t < 1)) or np.any(t < start) or np.any(left & (t <= start)):
        raise ValueError("need churn periods >= 1 and after entry, periods >= entered")

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        alpha, beta = np.exp(log_params)
        return -float(w @ sbg_log_likelihood(alpha, beta, t, left, start))

    (alpha, beta), log_likelihood, converged = bounded_fit(negative_ll, np.zeros(2))
    return SbgFit(float(alpha), float(beta), log_likelihood, converged)


#: Bounds on the log of every model parameter. Data without heterogeneity (every
#: customer alike) drives a mixing distribution's parameters to infinity at a fixed
#: ratio; the bounds stop them where the fit is already indistinguishable from the
#: limit and keep the hypergeometric functions computable.
LOG_PARAMETER_BOUNDS = (-10.0, 15.0)


def bounded_fit(
    negative_ll: Callable[[NDArray[np.float64]], float], start: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float, bool]:
    """Minimise over log-parameters within ``LOG_PARAMETER_BOUNDS`` (L-BFGS-B).

    Returns the parameters, the log-likelihood and whether the optimiser stopped
    with a near-zero gradient in every parameter not held at a bound.
    """

    def guarded(log_params: NDArray[np.float64]) -> float:
        value = negative_ll(log_params)
        return value if math.isfinite(value) else 1e300

    result = optimize.minimize(
        guarded,
        start,
        method="L-BFGS-B",
        bounds=[LOG_PARAMETER_BOUNDS] * len(start),
        options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 10_000},
    )
    gradient = optimize.approx_fprime(result.x, guarded, 1e-7)
    low, high = LOG_PARAMETER_BOUNDS
    interior = (result.x > low + 1e-6) & (result.x < high - 1e-6)
    converged = bool(np.all(np.abs(gradient[interior]) < 1e-2))
    return np.exp(result.x), -float(result.fun), converged


def fit_bgnbd_bounded(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> BgNbdFit:
    """``fit_bgnbd``, refitted within the bounds when its optimum runs off to the
    limit (regular monthly top-ups: no spread in rates, no dropout seen)."""
    fit = fit_bgnbd(frequency, recency, T)
    params = np.array([fit.r, fit.alpha, fit.a, fit.b])
    low, high = np.exp(LOG_PARAMETER_BOUNDS)
    if (
        fit.converged
        and fit.log_likelihood <= 0
        and np.all((params > low) & (params < high))
    ):
        return fit
    x, t_x, t = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        r, alpha, a, b = np.exp(log_params)
        return -float(bgnbd_log_likelihood((r, alpha, a, b), x, t_x, t).sum())

    (r, alpha, a, b), ll, converged = bounded_fit(negative_ll, np.zeros(4))
    return BgNbdFit(float(r), float(alpha), float(a), float(b), ll, converged)


def fit_gamma_gamma_bounded(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> GammaGammaFit:
    """``fit_gamma_gamma``, refitted within the bounds when it runs to the limit
    (top-ups in round amounts: hardly any spread within a customer)."""
    fit = fit_gamma_gamma(frequency, monetary_value)
    params = np.array([fit.p, fit.q, fit.gamma])
    low, high = np.exp(LOG_PARAMETER_BOUNDS)
    if fit.converged and np.all((params > low) & (params < high)):
        return fit
    x, m = (np.asarray(v, dtype="float64") for v in (frequency, monetary_value))
    keep = x > 0

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        p, q, gamma = np.exp(log_params)
        return -float(gamma_gamma_log_likelihood((p, q, gamma), x[keep], m[keep]).sum())

    start = np.log(np.array([1.0, 2.0, max(float(np.mean(m[keep])), 1e-6)]))
    (p, q, gamma), ll, converged = bounded_fit(negative_ll, start)
    return GammaGammaFit(float(p), float(q), float(gamma), ll, converged)


def fit_sbg_survival(survival: Sequence[float], *, cohort_size: int = 1000) -> SbgFit:
    """Fit on one cohort's survival proportions S(0) = 1, S(1), ..., S(n).

    The form of Fader & Hardie's tables: ``cohort_size`` customers at the start, the
    ones lost in each period churned then, the ones left after n periods censored.
    """
    counts = np.rint(np.asarray(survival, dtype="float64") * cohort_size)
    if len(counts) < 2 or counts[0] != cohort_size or np.any(np.diff(counts) > 0):
        raise ValueError("survival must start at 1.0 and never rise")
    horizon = len(counts) - 1
    lost = -np.diff(counts)
    periods = np.append(np.arange(1, horizon + 1), horizon)
    churned = np.append(np.ones(horizon, dtype=bool), False)
    return fit_sbg(periods, churned, weights=np.append(lost, counts[-1]))


# ----------------------------------------------------------------- operator records


def whole_months(start: pd.Series, end: pd.Timestamp | pd.Series) -> pd.Series:
    """Completed calendar months from ``start`` to ``end`` (2026-09-15 to
    2026-12-14 is two, to 2026-12-15 three); never negative."""
    begin = pd.to_datetime(start)
    finish = pd.Series(end, index=begin.index) if isinstance(end, pd.Timestamp) else end
    finish = pd.to_datetime(finish)
    months = (finish.dt.year - begin.dt.year) * 12 + (finish.dt.month - begin.dt.month)
    months = months - (finish.dt.day < begin.dt.day).astype("int64")
    return months.clip(lower=0).astype("int64")


def churn_observed_from(data: OperatorData) -> pd.Timestamp:
    """First day the data records churn: the earliest billed month (the export
    holds the customers alive then and everyone who arrived or left since)."""
    periods = data["bills"].column("period").to_pandas()
    if periods.empty:
        raise ValueError("no bills: cannot tell when the churn records begin")
    return pd.Timestamp(periods.min())


def retention_records(
    data: OperatorData, *, as_of: date, observed_from: date | None = None
) -> pd.DataFrame:
    """Monthly-cohort records of the postpaid customers for ``fit_sbg``.

    One row per (entered, periods, churned) with ``customers`` the count: tenure
    in whole months at ``observed_from`` (0 if they joined later), the month of
    tenure they left in or the months completed by ``as_of``, and whether they left.
    """
    end = pd.Timestamp(as_of)
    start = pd.Timestamp(observed_from) if observed_from else churn_observed_from(data)
    customers = data["customers"].to_pandas()
    customers = customers[~customers["customer"].isin(list(prepaid_customers(data)))]
    since = pd.to_datetime(customers["customer_since"])
    left_at = pd.to_datetime(customers["status_date"])
    churned = (customers["status"] == "closed") & (left_at <= end)
    # Customers who left before the records begin are not part of the sample.
    keep = (since <= end) & ~(churned & (left_at < start))
    customers, since, left_at, churned = (
        customers[keep],
        since[keep],
        left_at[keep],
        churned[keep],
    )
    entered = whole_months(since, start).where(since < start, 0)
    # Customers still here may have no status date at all (the operational store
    # leaves it empty until the status first changes).
    churn_period = whole_months(since, left_at.fillna(end)) + 1
    # Left on or after ``start``, so churn_period > entered always.
    periods = churn_period.where(churned, whole_months(since, end))
    records = pd.DataFrame(
        {"entered": entered, "periods": periods, "churned": churned.astype(bool)}
    )
    return (
        records.groupby(["entered", "periods", "churned"])
        .size()
        .rename("customers")
        .reset_index()
    )


def fit_operator_sbg(
    data: OperatorData, *, as_of: date, observed_from: date | None = None
) -> SbgFit:
    """The sBG fitted on the postpaid customers' monthly cohorts up to ``as_of``."""
    records = retention_records(data, as_of=as_of, observed_from=observed_from)
    return fit_sbg(
        records["periods"],
        records["churned"],
        entered=records["entered"],
        weights=records["customers"],
    )


def margin_from_value(value: pd.DataFrame) -> pd.Series:
    """Per-customer margin from ``customer_value``: contribution without the one-off
    acquisition cost (sunk, not recurring), over revenue; 0 without revenue.

    Negative for a loss-making customer, so their lifetime value is negative too.
    """
    recurring = (value["contribution"] + value["acquisition_cost"]).astype("float64")
    revenue = value["revenue"].astype("float64")
    margin = (recurring / revenue.where(revenue > 0)).fillna(0.0)
    return pd.Series(margin.to_numpy(), index=value["customer"].to_numpy())


@dataclass(frozen=True)
class ClvFits:
    """The models behind an ``operator_clv`` run (fitted, or given to reuse)."""

    sbg: SbgFit | None
    bgnbd: BgNbdFit | None
    gamma_gamma: GammaGammaFit | None


def _topups(data: OperatorData, as_of: date) -> pd.DataFrame:
    """Top-ups (payments without a bill) on prepaid accounts made by ``as_of``."""
    payments = data["payments"].to_pandas()
    topups = payments[
        payments["bill_no"].isna()
        & payments["account"].isin(list(prepaid_accounts(data)))
    ]
    day = pd.to_datetime(topups["paid_at"]).dt.normalize()
    return topups.assign(day=day)[day <= pd.Timestamp(as_of)]


def _topup_rfm(data: OperatorData, as_of: date, customers: pd.Index) -> pd.DataFrame:
    topups = _topups(data, as_of)
    return rfm_summary(
        topups[topups["customer"].isin(customers)],
        customer="customer",
        date="day",
        value="amount",
        calibration_end=pd.Timestamp(as_of),
        period="M",
    )


def fit_clv_models(data: OperatorData, *, as_of: date) -> ClvFits:
    """Fit the sBG on the postpaid customers and BG/NBD + Gamma-Gamma on the prepaid
    customers' top-ups, with what was known on ``as_of``; a part without customers
    (or, for Gamma-Gamma, without repeat top-ups) is left None."""
    customers = live_customers(data, as_of)
    is_prepaid = customers["customer"].isin(list(prepaid_customers(data)))
    sbg = fit_operator_sbg(data, as_of=as_of) if (~is_prepaid).any() else None
    bg: BgNbdFit | None = None
    gg: GammaGammaFit | None = None
    if is_prepaid.any():
        # Every prepaid customer's top-ups, the closed ones' too: leaving them out
        # would hide the dropouts BG/NBD is there to learn from.
        everyone = pd.Index(sorted(prepaid_customers(data)))
        rfm = _topup_rfm(data, as_of, everyone)
        if len(rfm):
            bg = fit_bgnbd_bounded(rfm["frequency"], rfm["recency"], rfm["T"])
        repeat = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
        if len(repeat):
            gg = fit_gamma_gamma_bounded(repeat["frequency"], repeat["monetary_value"])
    return ClvFits(sbg, bg, gg)


def _sbg_part(
    contract: pd.DataFrame,
    *,
    as_of: date,
    fit: SbgFit,
    horizon_months: int,
    monthly_discount: float,
    monthly_revenue: pd.Series,
) -> pd.DataFrame:
    """Monthly revenue times the sBG's discounted expected paying months."""
    index = pd.Index(contract["customer"])
    tenure = whole_months(contract["customer_since"], pd.Timestamp(as_of)).to_numpy()
    discounted = fit.expected_months(tenure, horizon_months, monthly_discount)
    monthly = monthly_revenue.reindex(index).to_numpy()
    return pd.DataFrame(
        {
            "clv_model": "sbg",
            "tenure_months": tenure,
            "monthly_revenue": monthly,
            "expected_months": fit.expected_months(tenure, horizon_months),
            "expected_purchases": np.nan,
            # A contract customer is seen leaving: one still listed is alive.
            "probability_alive": 1.0,
            "revenue_value": discounted * monthly,
        },
        index=index,
    )


def _bgnbd_part(
    data: OperatorData,
    prepaid: pd.DataFrame,
    *,
    as_of: date,
    bg: BgNbdFit,
    gg: GammaGammaFit,
    horizon_months: int,
    monthly_discount: float,
) -> pd.DataFrame:
    """BG/NBD top-ups times Gamma-Gamma spend per top-up, monthly periods.

    A prepaid customer without any top-up yet gets the expectations of a customer
    just acquired and the population's mean spend."""
    index = pd.Index(prepaid["customer"])
    rfm = _topup_rfm(data, as_of, index).reindex(index)
    seen = rfm["frequency"].notna().to_numpy()
    x, t_x, t, m = (
        rfm[c].fillna(0.0).to_numpy()
        for c in ("frequency", "recency", "T", "monetary_value")
    )
    spend = expected_average_value(gg, x, m)
    horizon = np.full_like(x, horizon_months)
    purchases = np.where(
        seen,
        expected_purchases(bg, horizon, x, t_x, t),
        expected_purchases_new_customer(bg, horizon),
    )
    clv_seen = customer_lifetime_value(
        bg, gg, x, t_x, t, m,
        horizon_periods=horizon_months,
        discount_rate_per_period=monthly_discount,
    )  # fmt: skip
    clv_unseen = _new_customer_value(bg, gg, horizon_months, monthly_discount)
    tenure = whole_months(prepaid["customer_since"], pd.Timestamp(as_of))
    return pd.DataFrame(
        {
            "clv_model": "bgnbd",
            "tenure_months": tenure.to_numpy(),
            "monthly_revenue": purchases * spend / horizon_months,
            "expected_months": np.nan,
            "expected_purchases": purchases,
            "probability_alive": np.where(seen, probability_alive(bg, x, t_x, t), 1.0),
            "revenue_value": np.where(seen, clv_seen, clv_unseen),
        },
        index=index,
    )


def _new_customer_value(
    bg: BgNbdFit, gg: GammaGammaFit, horizon: int, discount: float
) -> float:
    """Discounted expected top-up revenue of a prepaid customer with no top-up yet."""
    months = np.arange(0, horizon + 1, dtype="float64")
    cumulative = expected_purchases_new_customer(bg, months)
    per_month = np.diff(cumulative) / (1 + discount) ** months[1:]
    return float(per_month.sum() * gg.mean_value)


def _margins(
    customers: pd.Index, margin: float | pd.Series | None, value: pd.DataFrame
) -> pd.Series:
    if margin is None:
        return margin_from_value(value).reindex(customers).fillna(0.0)
    if isinstance(margin, pd.Series):
        return margin.reindex(customers).fillna(0.0).astype("float64")
    return pd.Series(float(margin), index=customers)


def operator_clv(
    data: OperatorData,
    *,
    as_of: date,
    horizon_months: int = 24,
    monthly_discount: float = 0.01,
    margin: float | pd.Series | None = None,
    rates: CostRates = DEFAULT_RATES,
    revenue_months: int = 6,
    fits: ClvFits | None = None,
) -> pd.DataFrame:
    """Lifetime value over the next ``horizon_months`` of every customer alive at
    ``as_of``, discounted at ``monthly_discount`` a month.

    Postpaid customers (no prepaid account): clv = margin x monthly revenue (their
    revenue over the last ``revenue_months``, per month with us) x the sBG's
    discounted expected paying months given their tenure. Prepaid customers: margin
    x the BG/NBD + Gamma-Gamma discounted top-up revenue. ``margin`` is a share of
    revenue: by default each customer's own over the last ``revenue_months``
    (``margin_from_value`` of ``customer_value`` with ``rates``: contribution without
    acquisition over revenue, negative for a loss-making customer), else one share
    for all or a Series by customer. ``fits`` reuses fitted models (e.g. last
    month's, from ``fit_clv_models``) instead of fitting on this data.

    Columns: customer, clv_model ('sbg' | 'bgnbd'), tenure_months, monthly_revenue,
    margin, expected_months (sBG: undiscounted months still paying within the
    horizon), expected_purchases (BG/NBD: top-ups within the horizon),
    probability_alive (BG/NBD; 1 for contract customers, who are seen leaving),
    clv. ``frame.attrs["fits"]`` holds the ``ClvFits`` used.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    if monthly_discount <= -1:
        raise ValueError("monthly_discount must be > -1")
    fits = fits or fit_clv_models(data, as_of=as_of)
    customers = live_customers(data, as_of)
    is_prepaid = customers["customer"].isin(list(prepaid_customers(data)))
    value = customer_value(data, as_of=as_of, rates=rates, months=revenue_months)
    monthly_revenue = (value["revenue"] / value["exposure_months"]).set_axis(
        value["customer"]
    )
    parts: list[pd.DataFrame] = []
    if (~is_prepaid).any():
        if fits.sbg is None:
            raise ValueError("postpaid customers need an sBG fit")
        parts.append(
            _sbg_part(
                customers[~is_prepaid],
                as_of=as_of,
                fit=fits.sbg,
                horizon_months=horizon_months,
                monthly_discount=monthly_discount,
                monthly_revenue=monthly_revenue,
            )
        )
    if is_prepaid.any():
        if fits.bgnbd is None or fits.gamma_gamma is None:
            raise ValueError("prepaid customers need BG/NBD and Gamma-Gamma fits")
        parts.append(
            _bgnbd_part(
                data,
                customers[is_prepaid],
                as_of=as_of,
                bg=fits.bgnbd,
                gg=fits.gamma_gamma,
                horizon_months=horizon_months,
                monthly_discount=monthly_discount,
            )
        )
    frame = pd.concat(parts) if parts else pd.DataFrame(columns=["revenue_value"])
    frame["margin"] = _margins(frame.index, margin, value)
    frame["clv"] = frame.pop("revenue_value").astype("float64") * frame["margin"]
    frame = frame.rename_axis("customer").reset_index()
    frame = frame.sort_values("customer", ignore_index=True)[list(CLV_COLUMNS)]
    frame.attrs["fits"] = fits
    return frame
