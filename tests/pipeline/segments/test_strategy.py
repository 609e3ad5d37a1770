"""Value x risk matrix, customer types and the 7P table on hand-made frames."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from telcrm_pipeline.segments.strategy import (
    CUSTOMER_TYPES,
    SEGMENTS,
    SEVEN_P_COLUMNS,
    CustomerTypeRules,
    ValueRiskBands,
    customer_types,
    matrix_counts,
    seven_p_table,
    value_risk_matrix,
)


def test_every_cell_has_a_distinct_named_segment() -> None:
    assert len(SEGMENTS) == 9
    assert len({s.code for s in SEGMENTS.values()}) == 9
    assert all(
        s.name_zh and s.treatment_zh and s.treatment_en for s in SEGMENTS.values()
    )


def test_probability_basis_cut_points_go_to_the_upper_band() -> None:
    frame = pd.DataFrame(
        {
            "customer": ["a", "b", "c", "d", "e", "f"],
            "value_score": [49.9, 50.0, 79.9, 80.0, 100.0, 0.0],
            "churn_probability": [0.19, 0.2, 0.49, 0.5, 1.0, 0.0],
        }
    )
    out = value_risk_matrix(frame, bands=ValueRiskBands(risk_basis="probability"))
    assert list(out["value_band"]) == ["low", "medium", "medium", "high", "high", "low"]
    assert list(out["risk_band"]) == ["low", "medium", "medium", "high", "high", "low"]
    assert list(out["segment"]) == [
        "reprice", "nurture", "nurture", "retain_key", "retain_key", "reprice"
    ]  # fmt: skip


def test_risk_band_is_the_rank_by_default() -> None:
    """20 customers with the small probabilities of a month's horizon: the riskiest
    2 (10 %) are high risk, the next 4 (20 %) medium, whatever the probabilities."""
    order = [7, 19, 0, 13, 18, 3, 14, 11, 17, 5, 1, 15, 9, 16, 2, 12, 6, 10, 4, 8]
    frame = pd.DataFrame(
        {
            "customer": [f"c{i:02d}" for i in order],
            "value_score": [90.0] * 20,
            "churn_probability": [0.001 * (i + 1) for i in order],
        },
        index=pd.Index(range(100, 120)),
    )
    out = value_risk_matrix(frame)
    assert list(out.index) == list(range(100, 120))
    bands = dict(zip(out["customer"], out["risk_band"], strict=True))
    assert sorted(c for c, b in bands.items() if b == "high") == ["c18", "c19"]
    assert sorted(c for c, b in bands.items() if b == "medium") == [
        "c14", "c15", "c16", "c17"
    ]  # fmt: skip
    assert list(out["risk_band"]).count("low") == 14
    assert sorted(out.loc[out["segment"] == "retain_key", "customer"]) == [
        "c18", "c19"
    ]  # fmt: skip
    # On the absolute probabilities (0.001-0.020) every one of them is low risk.
    absolute = value_risk_matrix(frame, bands=ValueRiskBands(risk_basis="probability"))
    assert set(absolute["risk_band"]) == {"low"}
    assert set(absolute["segment"]) == {"maintain"}


def test_rank_bands_with_ties() -> None:
    """Ten customers, percentile rank (rank - 1) / 9 * 100; tied probabilities
    share their mean rank, so they are always in one band."""
    frame = pd.DataFrame(
        {
            "customer": list("abcdefghij"),
            "value_score": [10.0, 95.0, 60.0, 10.0, 85.0, 60.0, 10.0, 10.0, 10.0, 60.0],
            # ranks: d 1, a 2, g 3, i 4, h 5, j 6, f 7, c and e 8.5 (tied), b 10
            "churn_probability": [
                0.02, 0.30, 0.12, 0.01, 0.12, 0.10, 0.03, 0.05, 0.04, 0.06
            ],
        }
    )  # fmt: skip
    out = value_risk_matrix(frame)
    # b 100 -> high; c, e 83.3 -> medium; f 66.7 and below -> low.
    assert list(out["risk_band"]) == [
        "low", "high", "medium", "low", "medium", "low", "low", "low", "low", "low"
    ]  # fmt: skip
    assert list(out["segment"]) == [
        "reprice", "retain_key", "nurture", "reprice", "care_key", "develop",
        "reprice", "reprice", "reprice", "develop",
    ]  # fmt: skip

    # A tie across a cut: f joins c and e (ranks 7-9, mean 8 -> 77.8), all medium.
    tied = frame.assign(
        churn_probability=frame["churn_probability"].replace(0.10, 0.12)
    )
    assert list(value_risk_matrix(tied)["risk_band"]) == [
        "low", "high", "medium", "low", "medium", "medium", "low", "low", "low", "low"
    ]  # fmt: skip
    # b ties with them too (ranks 7-10, mean 8.5 -> 83.3): nobody is high.
    top_tied = tied.assign(churn_probability=tied["churn_probability"].clip(upper=0.12))
    assert list(value_risk_matrix(top_tied)["risk_band"]) == [
        "low", "medium", "medium", "low", "medium", "medium", "low", "low", "low", "low"
    ]  # fmt: skip
    # Everyone the same (mean rank 5.5 -> 50): everyone low.
    same = frame.assign(churn_probability=0.05)
    assert set(value_risk_matrix(same)["risk_band"]) == {"low"}


def test_rank_cut_points_go_to_the_upper_band() -> None:
    """Eleven customers: percentile ranks 0, 10, ..., 100, so ranks 70 and 90 are
    exactly on the cuts and go to the upper band."""
    frame = pd.DataFrame(
        {
            "customer": [f"c{i}" for i in range(11)],
            "value_score": [50.0] * 11,
            "churn_probability": [0.01 * i for i in range(11)],
        }
    )
    out = value_risk_matrix(frame)
    assert list(out["risk_band"]) == ["low"] * 7 + ["medium"] * 2 + ["high"] * 2
    custom = value_risk_matrix(frame, bands=ValueRiskBands(risk_cuts=(50.0, 100.0)))
    assert list(custom["risk_band"]) == ["low"] * 5 + ["medium"] * 5 + ["high"]
    alone = value_risk_matrix(frame.head(1))
    assert list(alone["risk_band"]) == ["high"]  # one customer is the riskiest


def test_cells_carry_their_treatment() -> None:
    frame = pd.DataFrame(
        {"customer": ["vip", "loyal", "churner"], "value_score": [95.0, 90.0, 10.0],
         "churn_probability": [0.7, 0.05, 0.9]}
    )  # fmt: skip
    bands = ValueRiskBands(risk_basis="probability")
    out = value_risk_matrix(frame, bands=bands).set_index("customer")
    assert out.loc["vip", "segment"] == "retain_key"
    assert out.loc["vip", "segment_zh"] == "高价值高风险"
    assert out.loc["vip", "treatment_en"].startswith("Targeted retention")
    assert out.loc["loyal", "segment"] == "maintain"
    assert out.loc["loyal", "treatment_zh"].startswith("保持维系")
    assert out.loc["churner", "segment"] == "let_go"


def test_configured_bands_and_counts() -> None:
    frame = pd.DataFrame(
        {"customer": ["a", "b", "c"], "value_score": [60.0, 95.0, 30.0],
         "churn_probability": [0.1, 0.35, 0.35]}
    )  # fmt: skip
    bands = ValueRiskBands(
        value_cuts=(25.0, 90.0), risk_cuts=(0.05, 0.3), risk_basis="probability"
    )
    out = value_risk_matrix(frame, bands=bands)
    # 0.1 is medium risk once the low band ends at 0.05.
    assert list(out["segment"]) == ["nurture", "retain_key", "retain"]
    counts = matrix_counts(out)
    assert counts.loc["high", "high"] == 1
    assert counts.loc["medium", "high"] == 1
    assert counts.loc["medium", "medium"] == 1
    assert int(counts.to_numpy().sum()) == 3


def test_default_risk_cuts_follow_the_basis() -> None:
    assert ValueRiskBands().risk_basis == "rank"
    assert ValueRiskBands().risk_cuts == (70.0, 90.0)
    assert ValueRiskBands(risk_basis="probability").risk_cuts == (0.2, 0.5)
    assert ValueRiskBands(risk_cuts=(60.0, 95.0)).risk_cut_points == (60.0, 95.0)
    assert ValueRiskBands() == ValueRiskBands(risk_cuts=(70.0, 90.0))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"customer": ["a"], "value_score": [101.0],
                       "churn_probability": [0.1]}),
         "value_score must be a percentile"),
        (pd.DataFrame({"customer": ["a"], "value_score": [10.0],
                       "churn_probability": [1.5]}),
         "churn_probability must be in"),
        (pd.DataFrame({"customer": ["a"], "value_score": [10.0]}),
         "missing column\\(s\\) churn_probability"),
    ],
)  # fmt: skip
def test_bad_inputs_are_refused(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        value_risk_matrix(frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"risk_cuts": (95.0, 90.0)},
         "risk cuts \\(rank\\) must satisfy 0 <= low <= high <= 100"),
        ({"risk_cuts": (70.0, 101.0)}, "risk cuts \\(rank\\)"),
        ({"risk_cuts": (0.6, 0.3), "risk_basis": "probability"},
         "risk cuts \\(probability\\) must satisfy 0 <= low <= high <= 1"),
        ({"risk_cuts": (70.0, 90.0), "risk_basis": "probability"},
         "risk cuts \\(probability\\)"),
        ({"risk_basis": "percentile"},
         "risk basis must be one of rank, probability: 'percentile'"),
        ({"value_cuts": (80.0, 50.0)}, "value cuts"),
    ],
)  # fmt: skip
def test_bad_cut_points_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValueRiskBands(**kwargs)


def test_customer_types_and_service_levels() -> None:
    frame = pd.DataFrame(
        {
            "customer": ["key", "loss", "rising", "mid", "tail", "plain"],
            "value_score": [85.0, 90.0, 30.0, 55.0, 10.0, 30.0],
            "potential_score": [50.0, 90.0, 85.0, 10.0, 40.0, 60.0],
            "loss_making": [False, True, False, False, False, False],
        }
    )
    out = customer_types(frame).set_index("customer")
    assert list(out["customer_type"]) == [
        "key", "low_value", "important", "important", "low_value", "ordinary"
    ]  # fmt: skip
    assert out.loc["key", "account_manager"]
    assert out.loc["key", "sla_hours"] == 4
    assert out.loc["key", "customer_type_zh"] == "重要客户"
    assert out.loc["plain", "sla_hours"] == 48
    assert out.loc["tail", "service_channel"] == "self-service (app, web, SMS)"
    assert CUSTOMER_TYPES["key"].service_level_en == (
        "account manager; 4 h SLA; account manager and VIP hotline"
    )
    assert CUSTOMER_TYPES["key"].service_level_zh == (
        "专属客户经理；4 小时响应；客户经理与VIP专线"
    )
    assert CUSTOMER_TYPES["important"].service_level_en == (
        "24 h SLA; priority call-centre queue"
    )
    assert CUSTOMER_TYPES["important"].service_level_zh == (
        "24 小时响应；呼叫中心优先队列"
    )
    stricter = customer_types(frame, rules=CustomerTypeRules(key_value=90.0))
    assert stricter.set_index("customer").loc["key", "customer_type"] == "important"


def test_seven_p_table_from_its_inputs() -> None:
    profile = pd.DataFrame(
        {
            "customer": ["C1", "C2"],
            "customer_type": ["individual", "organization"],
            "customer_since": [date(2024, 3, 15), date(2026, 11, 20)],
            "city": ["杭州市", None],
            "channel": ["app", "direct_sales"],
        }
    )
    value = pd.DataFrame(
        {"customer": ["C1", "C2"], "revenue": [1200.0, 300.0],
         "exposure_months": [12.0, 1.0], "monthly_contribution": [90.0, -200.0],
         "value_score": [100.0, 0.0]}
    )  # fmt: skip
    churn = pd.DataFrame({"customer": ["C1", "C2"], "churn_probability": [0.1, 0.4]})
    clv = pd.DataFrame({"customer": ["C1"], "clv": [2500.0]})
    products = pd.DataFrame(
        {"customer": ["C1", "C1", "C1", "C2"],
         "line_of_business": ["mobile_postpaid", "broadband", "mobile_postpaid",
                              "fixed_line"]}
    )  # fmt: skip
    cross_sell = pd.DataFrame(
        {"customer": ["C1", "C1", "C2"], "product": ["iptv", "vas", "broadband"],
         "propensity": [0.3, 0.6, 0.2]}
    )  # fmt: skip
    promotions = pd.DataFrame(
        {"customer": ["C1", "C1"], "campaign": ["K1", "K2"],
         "contacted_at": [datetime(2026, 9, 1), datetime(2026, 10, 3)],
         "responded": [True, False]}
    )  # fmt: skip
    table = seven_p_table(
        profile, as_of=date(2026, 12, 1), value=value, churn=churn, clv=clv,
        products=products, cross_sell=cross_sell, promotions=promotions,
    ).set_index("customer")  # fmt: skip
    assert list(table.reset_index().columns) == list(SEVEN_P_COLUMNS)
    c1, c2 = table.loc["C1"], table.loc["C2"]
    assert c1["profiling"] == "individual · 杭州市 · app"
    assert c2["profiling"] == "organization · ? · direct_sales"
    assert c1["persistency_tenure_months"] == 32  # 2024-03-15 .. 2026-11-15
    assert c2["persistency_tenure_months"] == 0
    assert c1["persistency_retention_probability"] == pytest.approx(0.9)
    assert c2["profitability_monthly_contribution"] == -200.0
    assert c1["performance_monthly_revenue"] == 100.0
    assert c1["prospecting_clv"] == 2500.0 and np.isnan(c2["prospecting_clv"])
    assert c1["product_holdings"] == 3
    assert c1["product_lines"] == "broadband, mobile_postpaid"
    assert c1["product_next_best"] == "vas"
    assert c1["product_next_best_propensity"] == 0.6
    assert c1["promotion_contacts"] == 2 and c1["promotion_responses"] == 1
    assert c1["promotion_response_rate"] == 0.5
    assert c1["promotion_last_contact"] == pd.Timestamp("2026-10-03")
    assert c2["promotion_contacts"] == 0 and np.isnan(c2["promotion_response_rate"])


def test_seven_p_table_without_the_optional_inputs() -> None:
    profile = pd.DataFrame({"customer": ["C1"], "customer_since": [date(2026, 1, 1)]})
    value = pd.DataFrame(
        {"customer": ["C1"], "revenue": [10.0], "exposure_months": [2.0],
         "monthly_contribution": [4.0], "value_score": [100.0]}
    )  # fmt: skip
    row = seven_p_table(profile, as_of=date(2026, 12, 1), value=value).iloc[0]
    assert row["performance_monthly_revenue"] == 5.0
    assert np.isnan(row["prospecting_clv"]) and np.isnan(row["promotion_contacts"])
    assert pd.isna(row["product_next_best"])
