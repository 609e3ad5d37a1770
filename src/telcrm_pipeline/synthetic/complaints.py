"""The service centre: complaints, service requests and inquiries from every channel.

Ticket volume follows complaint-proneness and poor coverage; customers about to leave
complain more in the weeks before, and ask about porting out just before they go.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import names
from telcrm_pipeline.synthetic.behaviour import Events
from telcrm_pipeline.synthetic.config import (
    SECONDS_PER_DAY,
    GeneratorConfig,
    component_rng,
)
from telcrm_pipeline.synthetic.lines import NEVER
from telcrm_pipeline.synthetic.population import Customers, Staff
from telcrm_pipeline.synthetic.writer import times

CHANNELS = ("business_hall", "call_centre", "web", "app", "email", "fax")
KINDS = ("complaint", "service_request", "inquiry")
CATEGORIES = (
    "billing",
    "network_quality",
    "service_attitude",
    "product",
    "port_out_query",
    "broadband_fault",
    "other",
)
DESCRIPTIONS = (
    "客户对本月账单金额有疑问，认为多扣费",
    "客户反映家中信号差，通话经常中断",
    "客户投诉营业厅工作人员服务态度不好",
    "客户咨询套餐变更及优惠活动",
    "客户咨询携号转网办理条件",
    "客户反映宽带频繁断线，网速慢",
    "客户其他咨询",
)


def make_tickets(
    config: GeneratorConfig,
    customers: Customers,
    events: Events,
    staff: Staff,
    service_no: pa.Array,
    cust_no: pa.Array,
) -> tuple[pa.Table, np.ndarray]:
    """Build ``complaints/tickets.csv``; also returns tickets per customer."""
    rng = component_rng(config.seed, "complaints")
    n_days = config.calendar.n_days
    rate = (
        0.03 + 0.12 * customers.complaint_propensity + 0.25 * events.bad_cell_customer
    ) * config.months
    base = rng.poisson(rate)
    leaving = events.churn_day < NEVER
    extra = np.where(leaving, rng.poisson(1.5, customers.n) + 1, 0)
    owner = np.concatenate(
        [
            np.repeat(np.arange(customers.n), base),
            np.repeat(np.arange(customers.n), extra),
        ]
    )
    before_churn = np.concatenate(
        [np.zeros(base.sum(), bool), np.ones(extra.sum(), bool)]
    )
    churn = events.churn_day[owner]
    day = np.where(
        before_churn,
        churn - rng.integers(1, 45, len(owner)),
        rng.integers(0, n_days, len(owner)),
    )
    day = np.clip(np.minimum(day, churn - 1), 0, n_days - 1)
    category = choose_category(rng, owner, before_churn, churn - day, events)
    opened = (config.calendar.epoch_day + day) * SECONDS_PER_DAY + rng.integers(
        8 * 3600, 21 * 3600, len(owner)
    )
    order = np.argsort(opened, kind="stable")
    table = ticket_table(
        rng,
        config,
        owner[order],
        category[order],
        opened[order],
        leaving[owner[order]],
        staff,
        service_no,
        cust_no,
    )
    return table, np.bincount(owner, minlength=customers.n)


def choose_category(
    rng: np.random.Generator,
    owner: np.ndarray,
    before_churn: np.ndarray,
    days_left: np.ndarray,
    events: Events,
) -> np.ndarray:
    """Network complaints for poor coverage, port-out questions just before leaving."""
    general = rng.choice(
        len(CATEGORIES), len(owner), p=[0.3, 0.15, 0.1, 0.2, 0.0, 0.1, 0.15]
    )
    network = events.bad_cell_customer[owner] & (rng.random(len(owner)) < 0.6)
    category = np.where(network, 1, general)
    leaving_reason = rng.choice([0, 1, 2, 3], len(owner), p=[0.35, 0.3, 0.15, 0.2])
    category = np.where(before_churn, leaving_reason, category)
    return np.where(before_churn & (days_left <= 10), 4, category)


def ticket_table(
    rng: np.random.Generator,
    config: GeneratorConfig,
    owner: np.ndarray,
    category: np.ndarray,
    opened: np.ndarray,
    leaving: np.ndarray,
    staff: Staff,
    service_no: pa.Array,
    cust_no: pa.Array,
) -> pa.Table:
    """The tickets' columns."""
    n = len(owner)
    channel = rng.choice(len(CHANNELS), n, p=[0.25, 0.5, 0.08, 0.12, 0.03, 0.02])
    kind = np.where(
        np.isin(category, (0, 1, 2, 5)),
        np.where(rng.random(n) < 0.8, 0, 2),
        np.where(category == 4, 1, 2),
    )
    closed = opened + (rng.lognormal(10.5, 1.0, n)).astype(np.int64)
    window_end = (config.calendar.epoch_day + config.calendar.n_days) * SECONDS_PER_DAY
    is_closed = closed < window_end
    status = np.where(~is_closed, 0, np.where(rng.random(n) < 0.3, 1, 2))
    score = np.clip(
        np.round(rng.normal(np.where(leaving, 2.2, 3.9) - 0.6 * (kind == 0), 0.9)), 1, 5
    ).astype(np.int64)
    scored = is_closed & (rng.random(n) < 0.65)
    handler = handlers(rng, staff, channel)
    identified = rng.random(n) >= 0.05
    return pa.table(
        {
            "ticket_no": names.join("T", names.as_text(100_000_001 + np.arange(n))),
            "cust_no": pc.if_else(
                pa.array(identified),
                cust_no.take(pa.array(owner)),
                pa.scalar(None, pa.string()),
            ),
            "service_no": service_no.take(pa.array(owner)),
            "channel": pa.array(CHANNELS).take(pa.array(channel)),
            "kind": pa.array(KINDS).take(pa.array(kind)),
            "category": pa.array(CATEGORIES).take(pa.array(category)),
            "opened_at": times(opened),
            "closed_at": times(closed, is_closed),
            "status": pa.array(["open", "resolved", "closed"]).take(pa.array(status)),
            "description": pa.array(DESCRIPTIONS).take(pa.array(category)),
            "staff_no": names.join("S", names.zero_padded(handler + 1, 5)),
            "satisfaction": pa.array(score, mask=~scored),
        }
    )


def handlers(rng: np.random.Generator, staff: Staff, channel: np.ndarray) -> np.ndarray:
    """Outlet staff handle business-hall tickets, agents the others."""
    agents = staff.of_role("agent")
    outlet = staff.of_role("outlet_staff")
    outlet = outlet if len(outlet) else agents
    by_agent = agents[rng.integers(0, len(agents), len(channel))]
    by_outlet = outlet[rng.integers(0, len(outlet), len(channel))]
    return np.where(channel == 0, by_outlet, by_agent)
