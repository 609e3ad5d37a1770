"""The events the silos must reveal: churn (with causes), fraud and default.

Each event follows the customer's latent traits and situation, so a model can
learn it from the silos; the truth files record what was decided here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcrm_pipeline.synthetic import catalog
from telcrm_pipeline.synthetic.config import GeneratorConfig, component_rng
from telcrm_pipeline.synthetic.lines import (
    ACTIVE,
    BROADBAND,
    CHINA_MOBILE_PREFIXES,
    MOBILE,
    NEVER,
    PORTED_OUT,
    SUSPENDED,
    TERMINATED,
    CallGraph,
    Lines,
    unique_numbers,
)
from telcrm_pipeline.synthetic.population import Customers

CHURN_CAUSES = (
    "contract_end",
    "complaints",
    "price",
    "network_quality",
    "competitor_offer",
    "social_contagion",
)
PORT_OPERATORS = ("中国联通", "中国电信", "中国广电")
FRAUD_PATTERNS = ("sim_box", "international_burst")
DECLINE_DAYS = 42


@dataclass
class Events:
    """Latent events per customer and per line."""

    churn_day: np.ndarray
    churn_cause: np.ndarray
    bad_cell_customer: np.ndarray
    fraud_line: np.ndarray
    fraud_pattern: np.ndarray
    fraud_start: np.ndarray
    fraud_end: np.ndarray
    default_month: np.ndarray
    late_months: np.ndarray


def decide_churn(
    config: GeneratorConfig, customers: Customers, lines: Lines, graph: CallGraph
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who leaves, when and why: returns churn day (NEVER), cause index, bad coverage.

    Causes add up in a hazard: a contract ending in the window, complaint-proneness,
    price pressure (a high fee for a price-sensitive, low-value customer), poor
    coverage at home, a competitor's offer; then contacts of leavers follow them.
    """
    rng = component_rng(config.seed, "churn")
    n_days, n = config.calendar.n_days, customers.n
    primary = primary_mobile(lines, n)
    has_line = primary >= 0
    fee = catalog.offer_attribute("monthly_fee")[lines.offer[primary.clip(0)]]
    contract_end = np.where(has_line, lines.contract_end[primary.clip(0)], NEVER)
    bad_cell = rng.random(n) < 0.08
    pressures = np.stack(
        [
            1.8 * ((contract_end >= 0) & (contract_end < n_days - 5)),
            0.9 * np.minimum(customers.complaint_propensity, 3.0),
            1.3
            * customers.price_sensitivity
            * np.clip(fee / (45.0 * customers.value), 0, 2.5),
            1.5 * bad_cell,
            rng.exponential(0.5, n),
        ]
    )
    logit = -7.8 + pressures.sum(axis=0) - 1.2 * customers.is_org
    p_month = 1 / (1 + np.exp(-logit))
    p_window = 1 - (1 - p_month) ** config.months
    eligible = has_line & (customers.since_day < -60)
    leaves = eligible & (rng.random(n) < p_window)
    cause = np.argmax(pressures, axis=0)
    first_day = min(DECLINE_DAYS, n_days // 2)
    day = rng.integers(first_day, n_days, n)
    day = np.where(
        cause == 0,
        np.clip(contract_end + rng.integers(0, 10, n), first_day, n_days - 1),
        day,
    )
    churn_day = np.where(leaves, day, NEVER)
    churn_day, cause = contagion(
        rng, config, customers, lines, graph, churn_day, cause, eligible
    )
    return churn_day, np.where(churn_day < NEVER, cause, -1), bad_cell


def primary_mobile(lines: Lines, n_customers: int) -> np.ndarray:
    """Index of each customer's first mobile line (-1 when none)."""
    mobile = np.flatnonzero(lines.kind == MOBILE)
    primary = np.full(n_customers, -1)
    primary[lines.customer[mobile[::-1]]] = mobile[::-1]
    return primary


def contagion(
    rng: np.random.Generator,
    config: GeneratorConfig,
    customers: Customers,
    lines: Lines,
    graph: CallGraph,
    churn_day: np.ndarray,
    cause: np.ndarray,
    eligible: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Customers whose contacts left follow them with a lag (social contagion)."""
    n_days = config.calendar.n_days
    owner = lines.customer[graph.mobile]
    contact_owner = np.where(
        graph.contact_line >= 0, lines.customer[graph.contact_line.clip(0)], -1
    )
    contact_churn = np.where(
        contact_owner >= 0, churn_day[contact_owner.clip(0)], NEVER
    )
    earliest = np.full(customers.n, NEVER)
    np.minimum.at(earliest, owner, contact_churn.min(axis=1))
    count = np.bincount(
        owner, weights=(contact_churn < NEVER).sum(axis=1), minlength=customers.n
    )
    follows = (
        eligible & (churn_day == NEVER) & (rng.random(customers.n) < 1 - 0.7**count)
    )
    day = earliest + rng.integers(5, 30, customers.n)
    follows &= day < n_days
    churn_day = np.where(
        follows, np.maximum(day, min(DECLINE_DAYS, n_days // 2)), churn_day
    )
    return churn_day, np.where(follows, CHURN_CAUSES.index("social_contagion"), cause)


def apply_churn(
    rng: np.random.Generator, customers: Customers, lines: Lines, churn_day: np.ndarray
) -> None:
    """End the leavers' lines: mobile numbers mostly port out, others terminate."""
    day = churn_day[lines.customer]
    leaving = day < NEVER
    ported = leaving & (lines.kind == MOBILE) & (rng.random(lines.n) < 0.7)
    # A line opened after the customer decided to leave closes the day it opened.
    ended = np.maximum(np.minimum(lines.end_day, day), lines.start_day)
    lines.end_day = np.where(leaving, ended, lines.end_day)
    lines.status = np.where(
        leaving, np.where(ported, PORTED_OUT, TERMINATED), lines.status
    ).astype(np.int8)
    lines.port_operator = np.where(
        ported, rng.integers(0, len(PORT_OPERATORS), lines.n), -1
    ).astype(np.int8)
    addon_of_ported = (lines.parent >= 0) & leaving
    lines.status[addon_of_ported] = TERMINATED


def decide_fraud(
    config: GeneratorConfig, customers: Customers, lines: Lines, churn_day: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Add SIM-box lines and mark international-burst lines.

    Returns (line index, pattern index, start day, end day) per fraud case.
    """
    rng = component_rng(config.seed, "fraud")
    n_days = config.calendar.n_days
    count = max(3, round(config.customers * 0.0015))
    people = np.flatnonzero(~customers.is_org & (churn_day == NEVER))
    holders = rng.choice(people, count, replace=False)
    start = rng.integers(min(7, n_days - 1), max(n_days - 14, 8), count).clip(
        0, n_days - 1
    )
    end = start + rng.integers(10, 40, count)
    first_new = lines.n
    lines.append(sim_box_lines(rng, lines, holders, start, end, n_days))
    sim_box = first_new + np.arange(count)
    mobile = np.flatnonzero(
        (lines.kind == MOBILE) & (lines.end_day == NEVER) & (lines.start_day < 0)
    )
    mobile = mobile[
        ~customers.is_org[lines.customer[mobile]]
        & (churn_day[lines.customer[mobile]] == NEVER)
    ]
    burst = rng.choice(mobile, count, replace=False)
    burst_start = rng.integers(min(7, n_days - 1), max(n_days - 5, 8), count).clip(
        0, n_days - 1
    )
    return (
        np.concatenate([sim_box, burst]),
        np.repeat([0, 1], count),
        np.concatenate([start, burst_start]),
        np.concatenate(
            [np.minimum(end, NEVER), burst_start + rng.integers(2, 5, count)]
        ),
    )


def sim_box_lines(
    rng: np.random.Generator,
    lines: Lines,
    holders: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    n_days: int,
) -> Lines:
    """New prepaid lines opened just before a SIM box goes live; cut off when found."""
    n = len(holders)
    number = unique_numbers(rng, n * 4 + 10, CHINA_MOBILE_PREFIXES)
    number = number[~np.isin(number, lines.number)][:n]
    found = end < n_days
    return Lines(
        customer=holders,
        kind=np.full(n, MOBILE),
        offer=np.full(n, catalog.OFFER_INDEX["MPR-18"], dtype=np.int16),
        number=number,
        parent=np.full(n, -1),
        start_day=start,
        contract_end=np.full(n, NEVER),
        status=np.where(found, TERMINATED, ACTIVE).astype(np.int8),
        end_day=np.where(found, end, NEVER),
        port_operator=np.full(n, -1, dtype=np.int8),
        in_bundle=np.zeros(n, dtype=bool),
    )


def decide_default(
    config: GeneratorConfig, customers: Customers, lines: Lines, churn_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bad payers: late for months, then stop paying.

    Returns the default month per customer (-1 none) and a (customers, months)
    matrix of planned late payments.
    """
    rng = component_rng(config.seed, "default")
    n, months = customers.n, config.months
    candidates = np.flatnonzero(
        ~customers.is_org
        & ~customers.prepaid
        & (churn_day == NEVER)
        & (customers.since_day < 0)
    )
    count = min(len(candidates), max(5, round(n * 0.015)))
    weight = customers.credit_risk[candidates] ** 2
    chosen = rng.choice(candidates, count, replace=False, p=weight / weight.sum())
    default_month = np.full(n, -1)
    default_month[chosen] = (
        rng.integers(max(months - 2, 0), months, count) if months > 1 else 0
    )
    default_month[chosen] = np.maximum(default_month[chosen], min(1, months - 1))
    month = np.arange(months)[None, :]
    base_late = rng.random((n, months)) < 0.02 + 0.3 * customers.credit_risk[:, None]
    before_default = (default_month[:, None] >= 0) & (month < default_month[:, None])
    late = base_late | (before_default & (rng.random((n, months)) < 0.85))
    return default_month, late & ~customers.prepaid[:, None]


def suspend_defaulters(
    config: GeneratorConfig, lines: Lines, default_month: np.ndarray
) -> np.ndarray:
    """Bar defaulters' lines 40 days after their first unpaid period ends.

    Returns the suspension day per customer (NEVER when not suspended in the window).
    """
    calendar = config.calendar
    first_after = np.array(
        [calendar.month_first_day(m + 1) for m in range(calendar.n_months)]
    )
    day = np.where(default_month >= 0, first_after[default_month.clip(0)] + 40, NEVER)
    day = np.where(day < calendar.n_days, day, NEVER)
    hit = (
        (day[lines.customer] < NEVER)
        & (lines.status == ACTIVE)
        & (lines.kind != BROADBAND)
    )
    lines.status[hit] = SUSPENDED
    return day


def wire_events(
    churn: tuple[np.ndarray, np.ndarray, np.ndarray],
    fraud: tuple[np.ndarray, ...],
    default: tuple[np.ndarray, np.ndarray],
) -> Events:
    """Collect the decided events."""
    return Events(
        churn_day=churn[0],
        churn_cause=churn[1],
        bad_cell_customer=churn[2],
        fraud_line=fraud[0],
        fraud_pattern=fraud[1],
        fraud_start=fraud[2],
        fraud_end=fraud[3],
        default_month=default[0],
        late_months=default[1],
    )
