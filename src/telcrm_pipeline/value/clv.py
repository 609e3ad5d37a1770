"""Customer lifetime value: RFM summaries, the BG/NBD and the Gamma-Gamma models.

``rfm_summary`` turns a transaction table into one row per customer (grain: customer;
key: the customer column). ``fit_bgnbd`` fits the BG/NBD purchase model of Fader,
Hardie & Lee (2005, "Counting your customers the easy way") and ``fit_gamma_gamma``
the Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
curves"; Fader & Hardie, "The Gamma-Gamma model of monetary value"), both by maximum
likelihood with SciPy on log-parameters. ``customer_lifetime_value`` combines them.
docs/clv.md explains the assumptions to an analyst.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

Period = Literal["W", "D", "M"]

#: Length of one period in days. A month is the mean Gregorian month.
PERIOD_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12.0}

RFM_COLUMNS = ("frequency", "recency", "T", "monetary_value")
HOLDOUT_COLUMNS = ("frequency_holdout", "monetary_value_holdout", "duration_holdout")


class ClvInputError(ValueError):
    """A transaction table that cannot be summarised; names the column and row."""

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        row: Any = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.row = row
        #: What is wrong, without the column and row (for callers that add their own).
        self.reason = reason or message


# --------------------------------------------------------------------------- input


def parse_dates(values: pd.Series, *, column: str = "date") -> pd.Series:
    """Dates as ``datetime64`` days from YYYYMMDD integers/strings or ISO dates.

    Raises ``ClvInputError`` naming the first row (index label) that does not parse.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
    else:
        text = values.astype("string").str.strip()
        compact = text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if compact.any():
            parsed[compact] = pd.to_datetime(
                text[compact], format="%Y%m%d", errors="coerce"
            )
        rest = ~compact & text.notna()
        if rest.any():
            parsed[rest] = pd.to_datetime(text[rest], format="ISO8601", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = bad.idxmax()
        reason = f"unparseable date {values[row]!r} (expected YYYYMMDD or an ISO date)"
        raise ClvInputError(
            f"column {column!r}: {reason} at row {row}",
            column=column,
            row=row,
            reason=reason,
        )
    return parsed.dt.normalize()


def parse_values(values: pd.Series, *, column: str = "value") -> pd.Series:
    """Monetary values as floats; ``ClvInputError`` names the first bad row."""
    parsed = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = parsed.isna() | ~np.isfinite(parsed)
    if bad.any():
        row = bad.idxmax()
        reason = f"unparseable value {values[row]!r}"
        raise ClvInputError(
            f"column {column!r}: {reason} at row {row}",
            column=column,
            row=row,
            reason=reason,
        )
    return parsed


def _as_timestamp(value: date | datetime | str | int) -> pd.Timestamp:
    parsed = parse_dates(pd.Series([value]), column="calibration_end")
    return pd.Timestamp(parsed.iloc[0])


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer: str,
    date: str,
    value: str,
    calibration_end: date | datetime | str | int,
    period: Period = "W",
    first_purchase_origin: Mapping[Any, Any] | pd.Series | None = None,
    holdout_end: date | datetime | str | int | None = None,
) -> pd.DataFrame:
    """One row per customer: frequency, recency, T and monetary value.

    Grain: customer; index: the values of ``customer`` (sorted). Purchases by one
    customer on the same day are merged into one (values summed). With the first
    purchase at time 0 and time measured in ``period`` units (days, weeks, or mean
    Gregorian months):

    - ``frequency``: repeat purchases (purchase days after the first) up to and
      including ``calibration_end``;
    - ``recency``: time of the last calibration purchase (0 without repeats);
    - ``T``: time from the first purchase to ``calibration_end``;
    - ``monetary_value``: mean value of the repeat purchases, the first purchase
      excluded (Fader, Hardie & Lee); 0.0 for customers without repeats.

    Customers whose first purchase falls after ``calibration_end`` are left out.
    ``first_purchase_origin`` optionally maps a customer to a known first purchase
    (e.g. the line's activation date) before the data starts: that customer's clock
    starts there and every purchase in the data counts as a repeat.

    When the data goes beyond ``calibration_end`` (or ``holdout_end`` is given),
    ``frequency_holdout`` (purchases after calibration_end up to holdout_end),
    ``monetary_value_holdout`` (their mean value, 0.0 without any) and
    ``duration_holdout`` (holdout length in periods) are added.
    """
    if period not in PERIOD_DAYS:
        raise ValueError(f"period must be one of W, D, M, not {period!r}")
    for column in (customer, date, value):
        if column not in transactions.columns:
            raise ClvInputError(
                f"missing column {column!r} (columns: "
                f"{', '.join(map(str, transactions.columns))})",
                column=column,
            )
    days_per_period = PERIOD_DAYS[period]
    cal_end = _as_timestamp(calibration_end)
    frame = pd.DataFrame(
        {
            "customer": transactions[customer].to_numpy(),
            "day": parse_dates(transactions[date], column=date).to_numpy(),
            "value": parse_values(transactions[value], column=value).to_numpy(),
        }
    )
    no_customer = frame["customer"].isna() | (
        frame["customer"].astype(str).str.strip() == ""
    )
    if no_customer.any():
        row = transactions.index[no_customer.to_numpy()][0]
        raise ClvInputError(
            f"column {customer!r}: empty customer at row {row}",
            column=customer,
            row=row,
            reason="empty customer",
        )
    data_end = frame["day"].max() if len(frame) else cal_end
    end = _as_timestamp(holdout_end) if holdout_end is not None else data_end
    daily = frame.groupby(["customer", "day"], as_index=False, sort=True)["value"].sum()

    origin_given = pd.Series(dtype="datetime64[ns]")
    if first_purchase_origin is not None:
        raw = pd.Series(first_purchase_origin)
        origin_given = parse_dates(raw, column="first_purchase_origin")
    first_seen = daily.groupby("customer")["day"].min()
    first = first_seen.copy()
    if len(origin_given):
        known = origin_given.reindex(first.index)
        first = known.where(known.notna() & (known <= first), first)
    daily["first"] = daily["customer"].map(first)
    daily = daily[daily["day"] >= daily["first"]]
    # A repeat purchase is any purchase day after the first purchase day.
    daily["repeat"] = daily["day"] > daily["first"]

    cohort = first[first <= cal_end].index
    calib = daily[(daily["day"] <= cal_end) & daily["customer"].isin(cohort)]
    repeats = calib[calib["repeat"]]
    grouped = repeats.groupby("customer")
    out = pd.DataFrame(index=pd.Index(cohort, name=customer))
    out["frequency"] = grouped.size().reindex(out.index, fill_value=0).astype("int64")
    last = calib.groupby("customer")["day"].max().reindex(out.index)
    first_c = first.reindex(out.index)
    out["recency"] = (last - first_c).dt.days / days_per_period
    out["T"] = (cal_end - first_c).dt.days / days_per_period
    out["monetary_value"] = (
        grouped["value"].mean().reindex(out.index, fill_value=0.0).astype("float64")
    )
    if end > cal_end:
        hold = daily[
            (daily["day"] > cal_end)
            & (daily["day"] <= end)
            & daily["customer"].isin(cohort)
        ].groupby("customer")["value"]
        out["frequency_holdout"] = (
            hold.size().reindex(out.index, fill_value=0).astype("int64")
        )
        out["monetary_value_holdout"] = (
            hold.mean().reindex(out.index, fill_value=0.0).astype("float64")
        )
        out["duration_holdout"] = (end - cal_end).days / days_per_period
    return out.sort_index()


# ------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class BgNbdFit:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool


def _arrays(*values: ArrayLike) -> list[NDArray[np.float64]]:
    return [np.asarray(v, dtype="float64") for v in values]


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> NDArray[np.float64]:
    """Per-customer BG/NBD log-likelihood (FHL 2005, equation 6)."""
    r, alpha, a, b = params
    x, t_x, t = _arrays(frequency, recency, T)
    common = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )
    alive = -(r + x) * np.log(alpha + t)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    xr = x[repeat]
    dropped[repeat] = (
        np.log(a) - np.log(b + xr - 1) - (r + xr) * np.log(alpha + t_x[repeat])
    )
    return np.asarray(common + np.logaddexp(alive, dropped), dtype="float64")


def _fit(
    negative_ll: Any, start: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float, bool]:
    """Minimise over log-parameters: Nelder-Mead to get close, then BFGS to polish."""
    coarse = optimize.minimize(
        negative_ll,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000},
    )
    fine = optimize.minimize(
        negative_ll, coarse.x, method="BFGS", options={"gtol": 1e-6}
    )
    best = fine if fine.fun <= coarse.fun else coarse
    # BFGS may stop on precision loss at the optimum; accept a small gradient too.
    gradient = optimize.approx_fprime(best.x, negative_ll, 1e-7)
    converged = bool(
        (fine.success or coarse.success) and np.max(np.abs(gradient)) < 1e-2
    )
    return np.exp(best.x), -float(best.fun), converged


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit on one row per customer (x, t_x, T)."""
    x, t_x, t = _arrays(frequency, recency, T)
    if not (len(x) == len(t_x) == len(t)) or len(x) == 0:
        raise ValueError("frequency, recency and T must be non-empty, same length")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > t + 1e-9):
        raise ValueError("need frequency >= 0 and 0 <= recency <= T")

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        r, alpha, a, b = np.exp(log_params)
        value = -float(bgnbd_log_likelihood((r, alpha, a, b), x, t_x, t).sum())
        return value if math.isfinite(value) else 1e300

    scale = max(float(np.mean(t)), 1e-6)
    start = np.log(np.array([1.0, scale, 1.0, 1.0]))
    (r, alpha, a, b), ll, converged = _fit(negative_ll, start)
    return BgNbdFit(float(r), float(alpha), float(a), float(b), ll, converged)


def probability_alive(
    fit: BgNbdFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> NDArray[np.float64]:
    """P(still active | x, t_x, T) (FHL 2005, equation 11); 1 without repeats."""
    x, t_x, t = _arrays(frequency, recency, T)
    log_ratio = np.where(
        x > 0,
        np.log(fit.a)
        - np.log(np.maximum(fit.b + x - 1, 1e-300))
        + (fit.r + x) * (np.log(fit.alpha + t) - np.log(fit.alpha + t_x)),
        -np.inf,
    )
    return np.asarray(np.exp(-np.logaddexp(0.0, log_ratio)), dtype="float64")


def expected_purchases(
    fit: BgNbdFit,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> NDArray[np.float64]:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, equation 10)."""
    horizon, x, t_x, big_t = _arrays(t, frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = horizon / (alpha + big_t + horizon)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    decay = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + horizon)))
    numerator = (a + b + x - 1) / (a - 1) * (1 - decay * hyp)
    return np.asarray(
        numerator * probability_alive(fit, x, t_x, big_t), dtype="float64"
    )


def expected_purchases_new_customer(fit: BgNbdFit, t: ArrayLike) -> NDArray[np.float64]:
    """E[X(t)] for a customer just acquired (FHL 2005, equation 9)."""
    (horizon,) = _arrays(t)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = horizon / (alpha + horizon)
    hyp = special.hyp2f1(r, b, a + b - 1, z)
    return np.asarray(
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + horizon)) ** r * hyp),
        dtype="float64",
    )


# -------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaFit:
    """Gamma-Gamma spend: z ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool

    @property
    def mean_value(self) -> float:
        """Population mean of a customer's mean spend, p * gamma / (q - 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float],
    frequency: ArrayLike,
    monetary_value: ArrayLike,
) -> NDArray[np.float64]:
    """Per-customer log density of the observed mean spend (Fader & Hardie note)."""
    p, q, gamma = params
    x, m = _arrays(frequency, monetary_value)
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m),
        dtype="float64",
    )


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with frequency > 0.

    ``monetary_value`` is each customer's mean over ``frequency`` repeat purchases.
    """
    x, m = _arrays(frequency, monetary_value)
    keep = x > 0
    x, m = x[keep], m[keep]
    if len(x) == 0:
        raise ValueError("no customer with frequency > 0")
    if np.any(m <= 0):
        raise ValueError("monetary_value must be > 0 for customers with repeats")

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        p, q, gamma = np.exp(log_params)
        value = -float(gamma_gamma_log_likelihood((p, q, gamma), x, m).sum())
        return value if math.isfinite(value) else 1e300

    start = np.log(np.array([1.0, 1.0, max(float(np.mean(m)), 1e-6)]))
    (p, q, gamma), ll, converged = _fit(negative_ll, start)
    return GammaGammaFit(float(p), float(q), float(gamma), ll, converged)


def expected_average_value(
    fit: GammaGammaFit, frequency: ArrayLike, monetary_value: ArrayLike
) -> NDArray[np.float64]:
    """E[mean spend | x, mbar]: a weighted mix of population mean and own mean.

    Customers without repeats get the population mean p * gamma / (q - 1).
    """
    x, m = _arrays(frequency, monetary_value)
    m = np.where(x > 0, m, 0.0)
    return np.asarray(
        fit.p * (fit.gamma + x * m) / (fit.p * x + fit.q - 1), dtype="float64"
    )


def customer_lifetime_value(
    bgnbd: BgNbdFit,
    gg: GammaGammaFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon_periods: int,
    discount_rate_per_period: float,
) -> NDArray[np.float64]:
    """Discounted expected value of each customer's purchases over the horizon.

    CLV = sum over k = 1..horizon_periods of
    (E[X(k)] - E[X(k-1)]) * E[mean spend] / (1 + d)^k, with E[X(k)] the BG/NBD
    conditional expectation of purchases in the next k periods and d the discount
    rate per period (e.g. 0.01 per month, or (1.1 ** (1 / 52) - 1) per week).
    """
    if horizon_periods < 0:
        raise ValueError("horizon_periods must be >= 0")
    if discount_rate_per_period <= -1:
        raise ValueError("discount_rate_per_period must be > -1")
    x, t_x, t = _arrays(frequency, recency, T)
    spend = expected_average_value(gg, x, monetary_value)
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k in range(1, horizon_periods + 1):
        current = expected_purchases(bgnbd, np.full_like(x, k), x, t_x, t)
        total += (current - previous) / (1 + discount_rate_per_period) ** k
        previous = current
    return np.asarray(total * spend, dtype="float64")
