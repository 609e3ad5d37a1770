"""The ground truth, written apart from the silos (``DIR/truth/``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telcrm_pipeline.synthetic import names
from telcrm_pipeline.synthetic.behaviour import CHURN_CAUSES, FRAUD_PATTERNS, Events
from telcrm_pipeline.synthetic.config import GeneratorConfig
from telcrm_pipeline.synthetic.lines import NEVER
from telcrm_pipeline.synthetic.population import Customers
from telcrm_pipeline.synthetic.writer import days


def entity_ids(entity: np.ndarray) -> pa.Array:
    """``E`` + 9 digits."""
    return names.join("E", names.as_text(500_000_001 + entity))


def identities_table(
    customers: Customers,
    cust_no: pa.Array,
    acct_no: pa.Array,
    bb_id: pa.Array,
    bb_entity: np.ndarray,
) -> pa.Table:
    """Every source record's true entity: CRM customers, billing accounts, broadband."""
    systems = (
        ["crm"] * customers.n
        + ["billing"] * customers.n
        + ["broadband"] * len(bb_entity)
    )
    return pa.table(
        {
            "source_system": pa.array(systems),
            "source_id": pa.concat_arrays([cust_no, acct_no, bb_id]),
            "entity_id": entity_ids(
                np.concatenate([customers.entity, customers.entity, bb_entity])
            ),
        }
    )


def churn_table(config: GeneratorConfig, events: Events, cust_no: pa.Array) -> pa.Table:
    """Who left, when, and the dominant cause."""
    rows = np.flatnonzero(events.churn_day < NEVER)
    return pa.table(
        {
            "cust_no": cust_no.take(pa.array(rows)),
            "churn_date": days(events.churn_day[rows], config.calendar.epoch_day),
            "cause": pa.array(CHURN_CAUSES).take(pa.array(events.churn_cause[rows])),
        }
    )


def fraud_table(
    config: GeneratorConfig,
    events: Events,
    service_no: pa.Array,
    line_cust_no: pa.Array,
) -> pa.Table:
    """Fraudulent lines: pattern and the days it ran."""
    ends = np.minimum(events.fraud_end, config.calendar.n_days)
    return pa.table(
        {
            "service_no": service_no.take(pa.array(events.fraud_line)),
            "cust_no": line_cust_no.take(pa.array(events.fraud_line)),
            "pattern": pa.array(FRAUD_PATTERNS).take(pa.array(events.fraud_pattern)),
            "start_date": days(events.fraud_start, config.calendar.epoch_day),
            "end_date": days(ends - 1, config.calendar.epoch_day),
        }
    )


def defaulters_table(
    config: GeneratorConfig, events: Events, cust_no: pa.Array, acct_no: pa.Array
) -> pa.Table:
    """Bad payers: first late period and the period from which they stopped paying."""
    rows = np.flatnonzero(events.default_month >= 0)
    late = events.late_months[rows]
    first_late = np.where(late.any(axis=1), late.argmax(axis=1), -1)
    periods = pa.array([config.calendar.period(m) for m in range(config.months)])
    return pa.table(
        {
            "cust_no": cust_no.take(pa.array(rows)),
            "acct_no": acct_no.take(pa.array(rows)),
            "first_late_period": periods.take(
                pa.array(first_late.clip(0), mask=first_late < 0)
            ),
            "default_period": periods.take(pa.array(events.default_month[rows])),
        }
    )


def traits_table(
    customers: Customers,
    events: Events,
    cust_no: pa.Array,
    revenue_cents: np.ndarray,
    tickets: np.ndarray,
) -> pa.Table:
    """The latent traits per customer, and what they cost and brought in."""
    service_cost = tickets * 3000 + np.where(
        events.default_month >= 0, revenue_cents, 0
    )
    return pa.table(
        {
            "cust_no": cust_no,
            "entity_id": entity_ids(customers.entity),
            "value": np.round(customers.value, 4),
            "activity": np.round(customers.activity, 4),
            "price_sensitivity": np.round(customers.price_sensitivity, 4),
            "complaint_propensity": np.round(customers.complaint_propensity, 4),
            "credit_risk": np.round(customers.credit_risk, 4),
            "data_appetite": np.round(customers.data_appetite, 4),
            "traveller": np.round(customers.traveller, 4),
            "intl_propensity": np.round(customers.intl_propensity, 4),
            "bad_coverage": events.bad_cell_customer.astype(np.int8),
            "prepaid": customers.prepaid.astype(np.int8),
            "revenue_cents": revenue_cents.astype(np.int64),
            "service_cost_cents": service_cost.astype(np.int64),
        }
    )
