"""Association rules between items held or done together (market-basket analysis).

A basket is one customer (or one customer and month); its items are habits derived
from usage (``usage_items``), offers, add-ons, devices... Rules come from mlxtend's
``apriori`` (frequent itemsets) and ``association_rules``:

* support(A -> C) = share of baskets holding every item of A and of C;
* confidence(A -> C) = support(A and C) / support(A): how often C comes with A;
* lift(A -> C) = confidence(A -> C) / support(C): above 1, A makes C more likely
  than it is on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules
from scipy import sparse

__all__ = [
    "HEAVY_QUANTILE",
    "PEAK_QUANTILE",
    "RULE_COLUMNS",
    "association_rules_from_baskets",
    "usage_items",
]

RULE_COLUMNS = ["antecedents", "consequents", "support", "confidence", "lift"]
HEAVY_QUANTILE = 0.75  # heavy_data / heavy_voice: the top quartile of the rows given
PEAK_QUANTILE = 0.90  # night_caller / weekend_caller: above the 90th percentile


def association_rules_from_baskets(
    baskets: pd.DataFrame,
    *,
    basket: str,
    item: str,
    min_support: float,
    min_confidence: float,
    max_len: int = 3,
) -> pd.DataFrame:
    """Rules A -> C with support >= ``min_support``, confidence >= ``min_confidence``.

    ``baskets`` is long: one row per (basket, item); duplicates count once. Itemsets
    hold at most ``max_len`` items (antecedents and consequents together). Returns
    ``RULE_COLUMNS``; antecedents and consequents are sorted tuples of strings; rows
    sorted by lift, then support (both descending), then the items.
    """
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support={min_support}: needs 0 < min_support <= 1")
    if not 0 <= min_confidence <= 1:
        raise ValueError(f"min_confidence={min_confidence}: needs 0 <= value <= 1")
    pairs = baskets[[basket, item]].dropna().astype({item: str}).drop_duplicates()
    empty = pd.DataFrame(
        {
            "antecedents": pd.Series([], dtype=object),
            "consequents": pd.Series([], dtype=object),
            "support": pd.Series([], dtype="float64"),
            "confidence": pd.Series([], dtype="float64"),
            "lift": pd.Series([], dtype="float64"),
        }
    )
    if pairs.empty:
        return empty
    basket_codes, basket_names = pd.factorize(pairs[basket], sort=True)
    item_codes, item_names = pd.factorize(pairs[item], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs), dtype=np.uint8), (basket_codes, item_codes)),
        shape=(len(basket_names), len(item_names)),
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(
        matrix, index=basket_names, columns=[str(name) for name in item_names]
    ).astype(pd.SparseDtype(bool, False))
    frequent = apriori(
        onehot, min_support=min_support, use_colnames=True, max_len=max_len
    )
    if len(frequent) == 0 or frequent["itemsets"].map(len).max() < 2:
        return empty
    # mlxtend also computes metrics we do not report (certainty divides by zero when
    # a consequent is in every basket): numpy's warning about it is noise here.
    with np.errstate(divide="ignore", invalid="ignore"):
        rules = association_rules(
            frequent,
            num_itemsets=len(basket_names),
            metric="confidence",
            min_threshold=min_confidence,
        )
    if rules.empty:
        return empty
    result = pd.DataFrame(
        {
            "antecedents": rules["antecedents"].map(lambda s: tuple(sorted(s))),
            "consequents": rules["consequents"].map(lambda s: tuple(sorted(s))),
            "support": rules["support"].astype("float64"),
            "confidence": rules["confidence"].astype("float64"),
            "lift": rules["lift"].astype("float64"),
        }
    )
    result = result.sort_values(
        ["lift", "support", "antecedents", "consequents"],
        ascending=[False, False, True, True],
        kind="mergesort",
    )
    return result.reset_index(drop=True)


def usage_items(features: pd.DataFrame, *, customer: str = "customer") -> pd.DataFrame:
    """Habit items per customer from a customer-month usage table.

    Items (percentiles over the rows given; an item whose column is absent is skipped):

    * ``uses_data``: data_mb > 0
    * ``heavy_data``: data_mb > 0 and >= its 75th percentile (the top quartile)
    * ``heavy_voice``: voice_minutes > 0 and >= its 75th percentile
    * ``sms_user``: sms_sent > 0
    * ``international_calls``: international_minutes > 0
    * ``long_distance``: long_distance_minutes > 0
    * ``roaming``: roaming_events > 0
    * ``night_caller``: night_share > 0 and above its 90th percentile
    * ``weekend_caller``: weekend_share > 0 and above its 90th percentile

    With several months per customer, a customer holds an item if any month does.
    Returns ``[customer, item]``, one row per pair, sorted.
    """
    rules = {
        "uses_data": ("data_mb", lambda s: s > 0),
        "heavy_data": (
            "data_mb",
            lambda s: (s > 0) & (s >= s.quantile(HEAVY_QUANTILE)),
        ),
        "heavy_voice": (
            "voice_minutes",
            lambda s: (s > 0) & (s >= s.quantile(HEAVY_QUANTILE)),
        ),
        "sms_user": ("sms_sent", lambda s: s > 0),
        "international_calls": ("international_minutes", lambda s: s > 0),
        "long_distance": ("long_distance_minutes", lambda s: s > 0),
        "roaming": ("roaming_events", lambda s: s > 0),
        "night_caller": (
            "night_share",
            lambda s: (s > 0) & (s > s.quantile(PEAK_QUANTILE)),
        ),
        "weekend_caller": (
            "weekend_share",
            lambda s: (s > 0) & (s > s.quantile(PEAK_QUANTILE)),
        ),
    }
    parts = []
    for name, (column, test) in rules.items():
        if column not in features.columns:
            continue
        values = features[column].astype("float64").fillna(0.0)
        holders = features.loc[test(values).to_numpy(), customer]
        parts.append(pd.DataFrame({customer: holders.to_numpy(), "item": name}))
    if not parts:
        return pd.DataFrame({customer: pd.Series([], dtype=object), "item": []})
    items = pd.concat(parts, ignore_index=True).drop_duplicates()
    return items.sort_values([customer, "item"]).reset_index(drop=True)
