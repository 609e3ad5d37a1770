"""Cross-sell offers from association rules over habits and holdings."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from telcrm_pipeline.habits import association_rules_from_baskets
from telcrm_pipeline.habits.cross_sell import cross_sell_offers, product_items


def test_products_held_on_the_day_become_items() -> None:
    day = dt.date
    lines = pd.DataFrame(
        {
            "customer": ["C1", "C1", "C1", "C2"],
            "line_of_business": ["mobile_postpaid", "vas", "broadband", "broadband"],
            "offer_kind": ["plan", "addon", "plan", "plan"],
            "offer_code": ["MPO-58", "VAS-MUSIC", "BB-100", "BB-100"],
            "start_date": [day(2025, 1, 1)] * 3 + [day(2026, 12, 1)],
            "end_date": [None, None, day(2026, 10, 1), None],
        }
    )

    items = product_items(lines, day(2026, 11, 30))

    assert items.values.tolist() == [
        ["C1", "holds:VAS-MUSIC"],
        ["C1", "holds:mobile_postpaid"],
    ]


def test_each_customer_gets_the_most_confident_product_they_lack() -> None:
    # Heavy data users mostly hold broadband; roamers mostly the travel add-on.
    baskets = {
        "A": ["heavy_data", "holds:broadband"],
        "B": ["heavy_data", "holds:broadband"],
        "C": ["heavy_data", "holds:broadband", "roaming", "holds:VAS-TRAVEL"],
        "D": ["heavy_data", "roaming"],
        "E": ["roaming", "holds:VAS-TRAVEL"],
        "F": ["sms_user"],
    }
    items = pd.DataFrame(
        [(c, i) for c, held in baskets.items() for i in held],
        columns=["customer", "item"],
    )
    rules = association_rules_from_baskets(
        items, basket="customer", item="item", min_support=0.3, min_confidence=0.6
    )

    offers = cross_sell_offers(items, rules).set_index("customer")

    # D: heavy_data -> broadband (3 of 4 = 0.75) beats roaming -> travel (2 of 3).
    assert offers.loc["D", "product"] == "broadband"
    assert offers.loc["D", "propensity"] == 0.75
    assert offers.loc["D", "because"] == "heavy_data"
    # Everyone else either holds what the rules suggest or matches no rule.
    assert list(offers.index) == ["D"]
