"""Usage rhythms: hour-of-day profiles, weekday factors and seasonality."""

from __future__ import annotations

import numpy as np

from telcrm_pipeline.synthetic.config import SECONDS_PER_DAY

PERSONAL_WEEKDAY = (
    0.6,
    0.3,
    0.15,
    0.1,
    0.1,
    0.3,
    1.2,
    3.0,
    4.5,
    4.5,
    4.8,
    5.0,
    5.5,
    5.0,
    4.6,
    4.6,
    4.8,
    5.5,
    6.5,
    7.0,
    7.2,
    6.2,
    4.0,
    2.0,
)
PERSONAL_WEEKEND = (
    1.0,
    0.5,
    0.25,
    0.15,
    0.1,
    0.2,
    0.5,
    1.2,
    2.5,
    4.0,
    5.0,
    5.5,
    5.5,
    5.2,
    5.0,
    5.0,
    5.2,
    5.5,
    6.0,
    6.5,
    6.8,
    6.0,
    4.5,
    2.5,
)
BUSINESS_WEEKDAY = (
    0.2,
    0.1,
    0.05,
    0.05,
    0.05,
    0.1,
    0.5,
    2.0,
    6.0,
    8.0,
    8.5,
    7.0,
    4.0,
    6.0,
    8.0,
    8.0,
    7.5,
    6.0,
    3.0,
    2.0,
    1.5,
    1.0,
    0.6,
    0.3,
)
BUSINESS_WEEKEND = (
    0.4,
    0.2,
    0.1,
    0.05,
    0.05,
    0.1,
    0.3,
    1.0,
    2.5,
    4.0,
    4.5,
    4.5,
    4.0,
    4.0,
    4.0,
    4.0,
    4.0,
    4.0,
    4.0,
    4.0,
    3.5,
    2.5,
    1.5,
    0.8,
)
SIM_BOX = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.1,
    0.5,
    2.0,
    5.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    6.0,
    5.0,
    4.0,
    2.0,
    0.5,
)
WEEKEND_FACTOR = {False: 1.12, True: 0.4}
WEEKDAY_FACTOR = {False: 0.95, True: 1.25}
KNOTS = np.arange(25, dtype=np.float64) * 3600


def cdf(weights: tuple[float, ...]) -> np.ndarray:
    """Cumulative share of the day's activity at each hour boundary (25 knots)."""
    share = np.asarray(weights) / np.sum(weights)
    return np.concatenate([[0.0], np.cumsum(share)])


def seconds_of_day(quantile: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """Map quantiles in [0, 1) to seconds of the day through an hourly profile.

    Monotone: sorted quantiles give sorted times.
    """
    seconds = np.interp(quantile, cdf(weights), KNOTS)
    return np.minimum(seconds.astype(np.int32), SECONDS_PER_DAY - 1)


def day_profiles(weekend: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The personal and business hourly profiles of a day."""
    if weekend:
        return PERSONAL_WEEKEND, BUSINESS_WEEKEND
    return PERSONAL_WEEKDAY, BUSINESS_WEEKDAY


def volume_factor(business: np.ndarray, weekend: bool) -> np.ndarray:
    """Daily volume multiplier: business lines are busier on weekdays."""
    factors = WEEKEND_FACTOR if weekend else WEEKDAY_FACTOR
    return np.where(business, factors[True], factors[False])


def season(epoch_day: int) -> float:
    """Mild yearly seasonality (busier around the winter holidays)."""
    day_of_year = (epoch_day - 3) % 365
    return 1.0 + 0.06 * float(np.cos(2 * np.pi * (day_of_year - 30) / 365))
