"""Call-graph features: on-net contacts, the share of them who left (known by the end of
the month only), the weighted degree and PageRank, on a hand-made graph."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from telcrm_pipeline.features import (
    cdr_table,
    duckdb_backend,
    graph_month_features,
    month_table,
)
from telcrm_pipeline.features.graph import DAMPING, PAGERANK_ITERATIONS

from .operator_tables import (
    customer,
    day,
    write_cdr_store,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

A, A2, B, C, D, OFFNET = (
    "13800000001", "13800000011", "13800000002", "13800000003", "13800000004",
    "13999999999",
)  # fmt: skip
JUNE, JULY, AUGUST = day("2026-06-01"), day("2026-07-01"), day("2026-08-01")


def graph_features(tmp_path: Path) -> pd.DataFrame:
    """C1 (numbers A and A2) talks to C2 (B) and C3 (C); C2 also calls C4 (D).
    C4 leaves on June 20th, C3 on August 10th."""
    store = write_cdr_store(
        tmp_path,
        [
            f"1,voice,local,{A},{B},2026-06-02 10:00:00,60,0,0.00,c,0",
            f"2,voice,local,{A},{B},2026-06-03 10:00:00,60,0,0.00,c,0",
            f"3,sms,p2p,{A},{C},2026-06-04 10:00:00,0,0,0.10,c,0",
            f"4,voice,local,{C},{A},2026-06-05 10:00:00,60,0,0.00,c,0",
            f"5,voice,local,{B},{D},2026-06-10 10:00:00,60,0,0.00,c,0",
            f"6,voice,local,{A},{OFFNET},2026-06-11 10:00:00,60,0,0.00,c,0",
            f"7,voice,local,{A},{A2},2026-06-12 10:00:00,60,0,0.00,c,0",
            f"8,data,data,{A},cmnet,2026-06-12 11:00:00,60,100,0.00,c,0",
        ],
    )
    lines = ibis.memtable(
        pd.DataFrame(
            {
                "service_no": [A, A2, B, C, D],
                "customer": ["C1", "C1", "C2", "C3", "C4"],
                "start_date": [day("2025-01-01")] * 5,
                "end_date": [None, None, None, day("2026-08-10"), day("2026-06-20")],
            }
        ).astype({"end_date": "datetime64[s]", "start_date": "datetime64[s]"})
    )
    customers = ibis.memtable(
        pd.DataFrame(
            [
                customer("C1"),
                customer("C2"),
                customer("C3", status="closed", status_date=day("2026-08-10")),
                customer("C4", status="closed", status_date=day("2026-06-20")),
            ]
        ).astype({"customer_since": "datetime64[s]", "status_date": "datetime64[s]"})
    )
    con = duckdb_backend()
    expression = graph_month_features(
        cdr_table(con, store), lines, customers, month_table([JUNE, JULY, AUGUST])
    )
    frame = con.execute(expression)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame.set_index(["customer", "month"]).sort_index()


def test_contacts_and_the_share_who_left(tmp_path: Path) -> None:
    result = graph_features(tmp_path)

    one, two = result.loc[("C1", JUNE)], result.loc[("C2", JUNE)]
    # Off-net numbers, data sessions and C1's own second number are not contacts.
    assert (one.on_net_contacts_3m, one.contact_events_3m) == (2, 4)
    assert (one.churned_contacts_3m, one.churned_contact_share) == (0, 0.0)
    # C4 left on June 20th: one of C2's two contacts, one of its three events.
    assert (two.on_net_contacts_3m, two.churned_contacts_3m) == (2, 1)
    assert two.churned_contact_share == 0.5
    assert (two.contact_events_3m, two.churned_contact_events_3m) == (3, 1)


def test_churn_counts_only_once_known(tmp_path: Path) -> None:
    result = graph_features(tmp_path)

    # C3 leaves in August: not a leaver for C1 in June or July, but in August.
    assert result.loc[("C1", JUNE)].churned_contact_share == 0.0
    assert result.loc[("C1", JULY)].churned_contact_share == 0.0
    assert result.loc[("C1", AUGUST)].churned_contact_share == 0.5
    # June's calls are in July's and August's 3 months, not September's.
    assert result.loc[("C1", AUGUST)].on_net_contacts_3m == 2


def test_influence_is_pagerank_scaled_to_mean_one(tmp_path: Path) -> None:
    result = graph_features(tmp_path).xs(JUNE, level="month")

    # Undirected weights: C1-C2 2, C1-C3 2, C2-C4 1.
    weights = np.array(
        [[0, 2, 2, 0], [2, 0, 0, 1], [2, 0, 0, 0], [0, 1, 0, 0]], dtype=float
    )
    share = weights / weights.sum(axis=1, keepdims=True)
    rank = np.ones(4)
    for _ in range(PAGERANK_ITERATIONS):
        rank = (1 - DAMPING) + DAMPING * share.T @ rank
    expected = pd.Series(rank, index=["C1", "C2", "C3", "C4"])

    np.testing.assert_allclose(
        result["influence"].sort_index().to_numpy(), expected.to_numpy(), rtol=1e-12
    )
    assert result["influence"].mean() == pytest.approx(1.0)
    assert result["influence"].idxmax() == "C1"
