"""Segments and what to do with each (R5).

- ``value_risk_matrix``: every customer in one of nine cells of value band (from the
  value score, a percentile 0-100) x churn-risk band (by default from the churn
  probability's percentile rank among the customers scored: the riskiest 10 % are
  high risk), each cell a named segment with its treatment, in Chinese and English.
- ``customer_types``: four customer types (key, important, ordinary, low-value; the
  Dutch operator's differentiated service in the source papers) by current value and
  potential, each with its service level: account manager, SLA hours, channel.
- ``seven_p_table``: the 7P view, one row per customer (Profiling, Persistency,
  Profitability, Performance, Prospecting, Product, Promotion).

Inputs are plain DataFrames keyed by ``customer`` (the outputs of
``telcrm_pipeline.value`` and the churn model), so the web app can store and show
them without knowing how they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

BANDS = ("low", "medium", "high")

#: How the churn-risk band is read from the churn probability.
RiskBasis = Literal["rank", "probability"]
RISK_BASES: tuple[RiskBasis, ...] = ("rank", "probability")

#: Default risk cuts per basis: percentile ranks 70 and 90 (the riskiest 10 % high,
#: the next 20 % medium), or churn probabilities 0.2 and 0.5 over the model's horizon.
DEFAULT_RISK_CUTS: dict[str, tuple[float, float]] = {
    "rank": (70.0, 90.0),
    "probability": (0.2, 0.5),
}


@dataclass(frozen=True)
class ValueRiskBands:
    """Cut points of the bands; a value equal to a cut point goes to the upper band.

    ``value_cuts`` are on the value score (a percentile): by default the top 20 %
    are high value (they make the profit, as the source papers put it), the next
    30 % medium, the bottom half low.

    ``risk_basis`` says what ``risk_cuts`` cut. ``"rank"`` (the default, how
    operators band risk): the churn probability's percentile rank among the
    customers scored together, 0 for the lowest and 100 for the highest, tied
    probabilities sharing their mean rank (so ties always fall in one band), as the
    value score ranks value; the default cuts 70 and 90 make the riskiest 10 % high
    risk, the next 20 % medium, the rest low. The churn model predicts churn over
    its horizon (the next month), where probabilities are small, so absolute cuts
    would leave the high-risk row nearly empty. ``"probability"``: the churn
    probability itself, for an operator whose model is calibrated to the horizon it
    acts on; the default cuts are then 0.2 and 0.5 (below 0.2 low, 0.5 and above
    high). ``risk_cuts`` left out (``None``) takes the basis's default.
    """

    value_cuts: tuple[float, float] = (50.0, 80.0)
    risk_cuts: tuple[float, float] | None = None
    risk_basis: RiskBasis = "rank"

    def __post_init__(self) -> None:
        low, high = self.value_cuts
        if not 0.0 <= low <= high <= 100.0:
            raise ValueError(
                f"value cuts must satisfy 0 <= low <= high <= 100: {self.value_cuts}"
            )
        if self.risk_basis not in RISK_BASES:
            raise ValueError(
                f"risk basis must be one of {', '.join(RISK_BASES)}: "
                f"{self.risk_basis!r}"
            )
        if self.risk_cuts is None:
            object.__setattr__(self, "risk_cuts", DEFAULT_RISK_CUTS[self.risk_basis])
        top = 100.0 if self.risk_basis == "rank" else 1.0
        low, high = self.risk_cut_points
        if not 0.0 <= low <= high <= top:
            raise ValueError(
                f"risk cuts ({self.risk_basis}) must satisfy "
                f"0 <= low <= high <= {top:g}: {self.risk_cuts}"
            )

    @property
    def risk_cut_points(self) -> tuple[float, float]:
        """The risk cuts in force (the basis's default when none were given)."""
        if self.risk_cuts is None:
            return DEFAULT_RISK_CUTS[self.risk_basis]
        return self.risk_cuts


@dataclass(frozen=True)
class Segment:
    """One cell of the value x risk matrix and what the operator does about it."""

    code: str
    name_en: str
    name_zh: str
    treatment_en: str
    treatment_zh: str


#: The nine cells, keyed by (value band, risk band).
SEGMENTS: dict[tuple[str, str], Segment] = {
    ("high", "high"): Segment(
        "retain_key", "Key customers at risk", "高价值高风险",
        "Targeted retention: account manager contacts within 48 hours with a "
        "tailored offer (group retention for corporate members).",
        "针对性挽留：客户经理48小时内联系，提供定制挽留方案（集团客户整体挽留）。",
    ),
    ("high", "medium"): Segment(
        "care_key", "Key customers to watch", "高价值中风险",
        "Proactive care: satisfaction call, early contract renewal, "
        "open complaints fixed first.",
        "主动关怀：满意度回访，提前续约，优先解决未结投诉。",
    ),
    ("high", "low"): Segment(
        "maintain", "Loyal key customers", "高价值低风险",
        "Maintenance: loyalty programme and VIP service, up-sell; "
        "no retention discounts.",
        "保持维系：忠诚度计划与VIP服务，适度提升销售；不给挽留折扣。",
    ),
    ("medium", "high"): Segment(
        "retain", "Valuable customers at risk", "中价值高风险",
        "Retention campaign by outbound call when the expected saving "
        "exceeds the offer's cost.",
        "挽留营销：预期挽回价值高于成本时外呼挽留。",
    ),
    ("medium", "medium"): Segment(
        "nurture", "Customers to nurture", "中价值中风险",
        "Nurture: cross-sell bundles that raise both value and switching cost.",
        "培养：交叉销售捆绑产品，提升价值与转网成本。",
    ),
    ("medium", "low"): Segment(
        "develop", "Stable customers to develop", "中价值低风险",
        "Develop: up-sell and cross-sell campaigns to move them to high value.",
        "提升：向上销售与交叉销售，促其成为高价值客户。",
    ),
    ("low", "high"): Segment(
        "let_go", "Low-value customers at risk", "低价值高风险",
        "Low-cost retention (SMS or app offer, no agent time) or let go.",
        "低成本挽留（短信或APP优惠，不占坐席）或放弃。",
    ),
    ("low", "medium"): Segment(
        "low_cost_service", "Low-value customers", "低价值中风险",
        "Low-cost service: self-service channels, no proactive spend.",
        "低成本服务：引导自助渠道，不做主动投入。",
    ),
    ("low", "low"): Segment(
        "reprice", "Low-value loyal customers", "低价值低风险",
        "Reprice and reduce cost to serve: e-billing, self-service, suitable plan.",
        "调整：电子账单、自助服务、匹配合适套餐，降低服务成本。",
    ),
}  # fmt: skip


def percentile_rank(values: pd.Series) -> pd.Series:
    """0 for the lowest value, 100 for the highest, ties share their mean rank (as
    ``telcrm_pipeline.value.contribution.percentile_score``, which the value score
    is); a single value is 100."""
    if len(values) <= 1:
        return pd.Series(100.0, index=values.index)
    ranks = values.rank(method="average")
    return (ranks - 1.0) / (len(values) - 1.0) * 100.0


def band(values: pd.Series, cuts: tuple[float, float]) -> pd.Series:
    """low below the first cut, high at or above the second, medium between."""
    low, high = cuts
    banded = np.where(values >= high, "high", np.where(values >= low, "medium", "low"))
    return pd.Series(banded, index=values.index)


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"missing column(s) {', '.join(missing)} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )


def value_risk_matrix(
    frame: pd.DataFrame, *, bands: ValueRiskBands = ValueRiskBands()
) -> pd.DataFrame:
    """The segment of every customer from ``customer``, ``value_score`` (0-100) and
    ``churn_probability`` (0-1).

    Adds value_band, risk_band, segment (the code), segment_en, segment_zh,
    treatment_en, treatment_zh; the input's rows and order are kept. With the
    default ``risk_basis="rank"`` the risk band ranks each churn probability among
    the frame's rows, so pass every customer scored together (a customer's band
    depends on the others).
    """
    _require(frame, ("customer", "value_score", "churn_probability"))
    score, risk = frame["value_score"], frame["churn_probability"]
    if score.isna().any() or ((score < 0) | (score > 100)).any():
        raise ValueError("value_score must be a percentile in [0, 100]")
    if risk.isna().any() or ((risk < 0) | (risk > 1)).any():
        raise ValueError("churn_probability must be in [0, 1]")
    out = frame[["customer", "value_score", "churn_probability"]].copy()
    out["value_band"] = band(score, bands.value_cuts)
    risk_score = percentile_rank(risk) if bands.risk_basis == "rank" else risk
    out["risk_band"] = band(risk_score, bands.risk_cut_points)
    cells = [
        SEGMENTS[(v, r)]
        for v, r in zip(out["value_band"], out["risk_band"], strict=True)
    ]
    out["segment"] = [c.code for c in cells]
    out["segment_en"] = [c.name_en for c in cells]
    out["segment_zh"] = [c.name_zh for c in cells]
    out["treatment_en"] = [c.treatment_en for c in cells]
    out["treatment_zh"] = [c.treatment_zh for c in cells]
    return out


def matrix_counts(segmented: pd.DataFrame) -> pd.DataFrame:
    """Customers per cell: value bands as rows (high first), risk bands as columns."""
    counts = pd.crosstab(segmented["value_band"], segmented["risk_band"])
    order = list(reversed(BANDS))
    return counts.reindex(index=order, columns=order, fill_value=0)


# ------------------------------------------------------------------ customer types


@dataclass(frozen=True)
class CustomerType:
    """A customer type and the service level that goes with it."""

    code: str
    name_en: str
    name_zh: str
    account_manager: bool
    sla_hours: int
    channel: str
    channel_zh: str

    @property
    def service_level_en(self) -> str:
        """E.g. "account manager; 4 h SLA; account manager and VIP hotline" (what
        the pipeline stores as ``service_level``)."""
        parts = ["account manager"] if self.account_manager else []
        return "; ".join([*parts, f"{self.sla_hours} h SLA", self.channel])

    @property
    def service_level_zh(self) -> str:
        parts = ["专属客户经理"] if self.account_manager else []
        return "；".join([*parts, f"{self.sla_hours} 小时响应", self.channel_zh])


CUSTOMER_TYPES: dict[str, CustomerType] = {
    "key": CustomerType(
        "key", "Key customer (A)", "重要客户", True, 4,
        "account manager and VIP hotline", "客户经理与VIP专线",
    ),
    "important": CustomerType(
        "important", "Important customer (B)", "重点发展客户", False, 24,
        "priority call-centre queue", "呼叫中心优先队列",
    ),
    "ordinary": CustomerType(
        "ordinary", "Ordinary customer (C)", "普通客户", False, 48,
        "call centre and retail outlet", "呼叫中心与营业厅",
    ),
    "low_value": CustomerType(
        "low_value", "Low-value customer (D)", "低价值客户", False, 72,
        "self-service (app, web, SMS)", "自助服务（APP、网站、短信）",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class CustomerTypeRules:
    """How value and potential (both percentiles 0-100) pick the type.

    Key: value >= ``key_value`` and not loss-making. Important: value >=
    ``important_value`` or potential >= ``important_potential`` (worth developing
    today or tomorrow). Low-value: loss-making, or value < ``low_value`` with
    potential < ``low_potential``. Ordinary: everyone else.
    """

    key_value: float = 80.0
    important_value: float = 50.0
    important_potential: float = 80.0
    low_value: float = 20.0
    low_potential: float = 50.0


def customer_types(
    frame: pd.DataFrame, *, rules: CustomerTypeRules = CustomerTypeRules()
) -> pd.DataFrame:
    """Type and service level of every customer from ``customer``, ``value_score``,
    ``potential_score`` (e.g. the CLV's percentile) and optionally ``loss_making``.

    Adds customer_type, customer_type_en, customer_type_zh, account_manager,
    sla_hours, service_channel.
    """
    _require(frame, ("customer", "value_score", "potential_score"))
    value, potential = frame["value_score"], frame["potential_score"]
    losing = (
        frame["loss_making"].astype(bool)
        if "loss_making" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    kind = np.select(
        [
            losing,
            value >= rules.key_value,
            (value >= rules.important_value) | (potential >= rules.important_potential),
            (value < rules.low_value) & (potential < rules.low_potential),
        ],
        ["low_value", "key", "important", "low_value"],
        default="ordinary",
    )
    out = frame[["customer", "value_score", "potential_score"]].copy()
    types = [CUSTOMER_TYPES[k] for k in kind]
    out["customer_type"] = kind
    out["customer_type_en"] = [t.name_en for t in types]
    out["customer_type_zh"] = [t.name_zh for t in types]
    out["account_manager"] = [t.account_manager for t in types]
    out["sla_hours"] = [t.sla_hours for t in types]
    out["service_channel"] = [t.channel for t in types]
    return out


# ------------------------------------------------------------------------------ 7P

SEVEN_P_COLUMNS = (
    "customer",
    "profiling",
    "persistency_tenure_months",
    "persistency_retention_probability",
    "profitability_monthly_contribution",
    "profitability_value_score",
    "performance_monthly_revenue",
    "prospecting_clv",
    "product_holdings",
    "product_lines",
    "product_next_best",
    "product_next_best_propensity",
    "promotion_contacts",
    "promotion_responses",
    "promotion_response_rate",
    "promotion_last_contact",
)


def _by_customer(frame: pd.DataFrame | None, column: str, index: pd.Index) -> pd.Series:
    if frame is None:
        return pd.Series(np.nan, index=index)
    return frame.set_index("customer")[column].reindex(index)


def _profiling(profile: pd.DataFrame) -> pd.Series:
    """Customer type, city and acquisition channel in one readable label."""
    parts = [c for c in ("customer_type", "city", "channel") if c in profile.columns]
    labels = profile[parts].astype("string").fillna("?").agg(" · ".join, axis=1)
    return pd.Series(labels.to_numpy(), index=profile["customer"].to_numpy())


def _tenure_months(since: pd.Series, as_of: date) -> pd.Series:
    begin = pd.to_datetime(since)
    end = pd.Timestamp(as_of)
    months = (end.year - begin.dt.year) * 12 + (end.month - begin.dt.month)
    return (months - (end.day < begin.dt.day).astype("int64")).clip(lower=0)


def _products(
    products: pd.DataFrame | None, index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    if products is None:
        return pd.Series(np.nan, index=index), pd.Series(
            pd.NA, index=index, dtype="string"
        )
    held = products.groupby("customer")["line_of_business"]
    count = held.size().reindex(index, fill_value=0).astype("float64")
    names = held.agg(lambda s: ", ".join(sorted(set(s)))).reindex(index).fillna("")
    return count, names.astype("string")


def _next_best(
    cross_sell: pd.DataFrame | None, index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    if cross_sell is None or cross_sell.empty:
        return pd.Series(pd.NA, index=index, dtype="string"), pd.Series(
            np.nan, index=index
        )
    best = cross_sell.sort_values(
        ["customer", "propensity", "product"], ascending=[True, False, True]
    )
    best = best.drop_duplicates("customer").set_index("customer").reindex(index)
    return best["product"].astype("string"), best["propensity"].astype("float64")


def _promotions(promotions: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    if promotions is None:
        out["promotion_contacts"] = np.nan
        out["promotion_responses"] = np.nan
        out["promotion_last_contact"] = pd.NaT
    else:
        grouped = promotions.groupby("customer")
        out["promotion_contacts"] = (
            grouped.size().reindex(index, fill_value=0).astype("float64")
        )
        responses = grouped["responded"].sum().reindex(index, fill_value=0)
        out["promotion_responses"] = responses.astype("float64")
        out["promotion_last_contact"] = pd.to_datetime(
            grouped["contacted_at"].max()
        ).reindex(index)
    contacts = out["promotion_contacts"]
    out["promotion_response_rate"] = out["promotion_responses"] / contacts.where(
        contacts > 0
    )
    return out


def seven_p_table(
    profile: pd.DataFrame,
    *,
    as_of: date,
    value: pd.DataFrame,
    churn: pd.DataFrame | None = None,
    clv: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    cross_sell: pd.DataFrame | None = None,
    promotions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The 7P view: one row per customer of ``profile``, in its order.

    Inputs (``customer`` in each; the optional ones leave their columns empty):
    ``profile``: customer_since and any of customer_type, city, channel;
    ``value``: ``customer_value``'s revenue, exposure_months, monthly_contribution,
    value_score; ``churn``: churn_probability; ``clv``: clv; ``products``: one row
    per holding with line_of_business (e.g. the active lines); ``cross_sell``:
    product and propensity per customer (the cross-sell model or association
    rules); ``promotions``: one row per campaign contact with contacted_at and
    responded (bool).

    Columns (docs/value-and-segments.md): profiling; persistency_tenure_months,
    persistency_retention_probability (1 - churn probability); profitability_
    monthly_contribution, profitability_value_score; performance_monthly_revenue;
    prospecting_clv; product_holdings, product_lines, product_next_best,
    product_next_best_propensity; promotion_contacts, promotion_responses,
    promotion_response_rate, promotion_last_contact.
    """
    _require(profile, ("customer", "customer_since"))
    _require(
        value,
        (
            "customer",
            "revenue",
            "exposure_months",
            "monthly_contribution",
            "value_score",
        ),
    )
    index = pd.Index(profile["customer"], name="customer")
    out = pd.DataFrame(index=index)
    out["profiling"] = _profiling(profile).reindex(index)
    out["persistency_tenure_months"] = _tenure_months(
        profile["customer_since"], as_of
    ).to_numpy()
    out["persistency_retention_probability"] = 1.0 - _by_customer(
        churn, "churn_probability", index
    )
    out["profitability_monthly_contribution"] = _by_customer(
        value, "monthly_contribution", index
    )
    out["profitability_value_score"] = _by_customer(value, "value_score", index)
    revenue = _by_customer(value, "revenue", index)
    out["performance_monthly_revenue"] = revenue / _by_customer(
        value, "exposure_months", index
    )
    out["prospecting_clv"] = _by_customer(clv, "clv", index)
    out["product_holdings"], out["product_lines"] = _products(products, index)
    out["product_next_best"], out["product_next_best_propensity"] = _next_best(
        cross_sell, index
    )
    out = out.join(_promotions(promotions, index))
    return out.reset_index()[list(SEVEN_P_COLUMNS)]
