"""Per mobile line usage parameters, derived from the owner's traits and plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telcrm_pipeline.synthetic import catalog, names, regions
from telcrm_pipeline.synthetic.behaviour import Events
from telcrm_pipeline.synthetic.config import GeneratorConfig, component_rng
from telcrm_pipeline.synthetic.lines import MOBILE, NEVER, CallGraph, Lines
from telcrm_pipeline.synthetic.population import Customers

CELLS_PER_DISTRICT = 120
ROAMING_CELLS = 400
COUNTRIES = np.array([1, 44, 852, 81, 61, 65, 49, 39])
COUNTRY_RATE_CENTS = np.array([150, 300, 150, 300, 300, 300, 400, 400])
PREMIUM_PREFIXES = np.array([882, 53, 252, 674, 960])
INCOMING_SHARE = 0.2


@dataclass
class LineBook:
    """Column arrays over the mobile lines (position p = ``mobile[p]``)."""

    mobile: np.ndarray
    msisdn: np.ndarray
    business: np.ndarray
    active_from: np.ndarray
    active_to: np.ndarray
    churn_day: np.ndarray
    rate_out: np.ndarray
    rate_in: np.ndarray
    p_voice: np.ndarray
    p_sms: np.ndarray
    p_intl: np.ndarray
    duration_scale: np.ndarray
    bytes_scale: np.ndarray
    dropped_calls: np.ndarray
    traveller: np.ndarray
    home_cell: np.ndarray
    work_cell: np.ndarray
    roam_cell: np.ndarray
    intl_number: np.ndarray
    intl_rate: np.ndarray
    included: np.ndarray
    rate_cents: np.ndarray
    fraud: np.ndarray
    fraud_start: np.ndarray
    fraud_end: np.ndarray
    graph_lines: int

    @property
    def n(self) -> int:
        """Number of mobile lines."""
        return len(self.mobile)


def make_line_book(
    config: GeneratorConfig,
    customers: Customers,
    lines: Lines,
    graph: CallGraph,
    events: Events,
    suspension_day: np.ndarray,
) -> LineBook:
    """Derive every mobile line's usage parameters."""
    rng = component_rng(config.seed, "cdr", 10**6)
    mobile = np.flatnonzero(lines.kind == MOBILE)
    owner = lines.customer[mobile]
    offer = lines.offer[mobile]
    n = len(mobile)
    activity = customers.activity[owner] * np.exp(rng.normal(0, 0.3, n))
    activity *= (1 - INCOMING_SHARE) * config.cdr_per_line_day / activity.mean()
    p_data = np.clip(0.3 + 0.15 * np.log(customers.data_appetite[owner]), 0.1, 0.65)
    fraud, start, end = fraud_columns(mobile, events, n)
    sim_box = fraud == 1
    home = customers.district[owner] * CELLS_PER_DISTRICT + rng.integers(
        0, CELLS_PER_DISTRICT, n
    )
    country = rng.integers(0, len(COUNTRIES), n)
    book = LineBook(
        mobile=mobile,
        msisdn=lines.number[mobile],
        business=customers.is_org[owner],
        active_from=np.maximum(lines.start_day[mobile], 0),
        active_to=np.minimum(
            np.minimum(lines.end_day[mobile], suspension_day[owner]),
            config.calendar.n_days,
        ),
        churn_day=events.churn_day[owner],
        rate_out=np.where(sim_box, 220.0, activity),
        rate_in=np.where(
            sim_box, 0.03, activity * INCOMING_SHARE / (1 - INCOMING_SHARE)
        ),
        p_voice=np.where(sim_box, 1.0, 1 - p_data - 0.12),
        p_sms=np.where(sim_box, 0.0, 0.12),
        p_intl=np.where(sim_box, 0.0, customers.intl_propensity[owner]),
        duration_scale=np.exp(rng.normal(0, 0.35, n))
        * np.where(customers.is_org[owner], 1.2, 1.0),
        bytes_scale=customers.data_appetite[owner] * 3e6,
        dropped_calls=np.where(events.bad_cell_customer[owner], 0.2, 0.01),
        traveller=np.where(sim_box, 0.0, customers.traveller[owner]),
        home_cell=home,
        work_cell=np.where(
            rng.random(n) < 0.6,
            rng.integers(0, len(regions.DISTRICTS) * CELLS_PER_DISTRICT, n),
            home,
        ),
        roam_cell=len(regions.DISTRICTS) * CELLS_PER_DISTRICT
        + rng.integers(0, ROAMING_CELLS, n),
        intl_number=COUNTRIES[country] * 10**10 + rng.integers(10**9, 10**10, n),
        intl_rate=COUNTRY_RATE_CENTS[country],
        included=np.stack(
            [catalog.offer_attribute(a)[offer] for a in ("minutes", "sms", "data_mb")],
            axis=1,
        ).astype(np.float64),
        rate_cents=np.stack(
            [
                np.round(catalog.offer_attribute(a)[offer] * 100)
                for a in ("voice_rate", "sms_rate", "data_rate")
            ],
            axis=1,
        ),
        fraud=fraud,
        fraud_start=start,
        fraud_end=end,
        graph_lines=len(graph.mobile),
    )
    return book


def fraud_columns(
    mobile: np.ndarray, events: Events, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fraud pattern (0 none, 1 SIM box, 2 international burst) and its days."""
    position = np.searchsorted(mobile, events.fraud_line)
    fraud = np.zeros(n, dtype=np.int8)
    start = np.full(n, NEVER)
    end = np.full(n, NEVER)
    fraud[position] = events.fraud_pattern + 1
    start[position] = events.fraud_start
    end[position] = events.fraud_end
    return fraud, start, end


def cell_ids() -> pa.Array:
    """The ``460-00-LAC-CI`` id of every cell: home-area cells, then roaming cells."""
    home = np.arange(len(regions.DISTRICTS) * CELLS_PER_DISTRICT)
    lac = 22_000 + home // 40
    ci = 10_000 + (home * 37) % 50_000
    roam = np.arange(ROAMING_CELLS)
    lac = np.concatenate([lac, 40_000 + roam // 20])
    ci = np.concatenate([ci, 20_000 + roam * 13])
    return names.join("460-00-", names.as_text(lac), "-", names.as_text(ci))
