"""Cross-sell from association rules: what a customer's habits and holdings suggest
they take next.

Products enter the baskets as items next to the usage habits (``usage_items``):
``holds:<line of business>`` for each live access line (``holds:broadband``,
``holds:mobile_postpaid``, ...) and ``holds:<offer code>`` for each live add-on. A rule
whose consequent is one product item and whose antecedents a customer has, while not
holding that product, makes the product an offer for them, with the rule's confidence
as its propensity (the share of customers like them who hold it).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from telcrm_pipeline.operator_data import lines_live_on

PRODUCT_PREFIX = "holds:"


def product_items(lines: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``[customer, item]``: the products each customer holds on ``as_of``.

    ``lines`` has the operator table's columns (customer, line_of_business,
    offer_kind, offer_code, start_date, end_date).
    """
    live = lines_live_on(lines, as_of)
    product = live["line_of_business"].where(
        live["offer_kind"] != "addon", live["offer_code"]
    )
    items = pd.DataFrame(
        {"customer": live["customer"].to_numpy(), "item": PRODUCT_PREFIX + product}
    )
    return items.drop_duplicates().sort_values(["customer", "item"], ignore_index=True)


def cross_sell_offers(items: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """``[customer, product, propensity, because]``: per customer the best rule (highest
    confidence, then lift) that recommends a product they do not hold.

    ``items``: ``[customer, item]`` (habits and products); ``rules``: the output of
    ``association_rules_from_baskets`` on those items.
    """
    offering = rules[
        rules["consequents"].map(
            lambda c: len(c) == 1 and str(c[0]).startswith(PRODUCT_PREFIX)
        )
    ].sort_values(["confidence", "lift"], ascending=False, kind="mergesort")
    held = items.assign(present=True).pivot_table(
        index="customer",
        columns="item",
        values="present",
        aggfunc="any",
        fill_value=False,
    )
    found: list[pd.DataFrame] = []
    offered = pd.Series(False, index=held.index)
    for rule in offering.itertuples(index=False):
        product = str(rule.consequents[0])
        needed = [str(a) for a in rule.antecedents]
        if any(a not in held.columns for a in needed):
            continue
        has_all = held[needed].all(axis=1)
        holds = held[product] if product in held.columns else False
        chosen = has_all & ~holds & ~offered
        if chosen.any():
            found.append(
                pd.DataFrame(
                    {
                        "customer": held.index[chosen.to_numpy()],
                        "product": product.removeprefix(PRODUCT_PREFIX),
                        "propensity": float(rule.confidence),
                        "because": ", ".join(needed),
                    }
                )
            )
            offered |= chosen
    if not found:
        return pd.DataFrame(
            {"customer": [], "product": [], "propensity": [], "because": []}
        )
    return pd.concat(found, ignore_index=True).sort_values(
        "customer", ignore_index=True
    )
