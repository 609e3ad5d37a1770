"""Habits: usage profiles on a generated operator; association rules exact by hand."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from telcrm_pipeline.cdr_store import ingest_cdr_files
from telcrm_pipeline.features import (
    cdr_table,
    customer_month_usage,
    duckdb_backend,
    line_month_usage,
    lines_from_silos,
)
from telcrm_pipeline.habits import (
    RULE_COLUMNS,
    association_rules_from_baskets,
    fit_profiles,
    usage_items,
)
from telcrm_pipeline.habits.profiles import TYPICAL_USAGE, description_zh
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

# Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 1.5.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

COLUMNS = [
    "voice_minutes", "data_mb", "sms_sent", "night_share", "weekend_share",
    "roaming_events", "international_minutes", "usage_charge", "distinct_contacts",
]  # fmt: skip


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The last month of ``customer_month_usage`` on a generated operator."""
    out = tmp_path_factory.mktemp("habits-operator")
    generate_operator(GeneratorConfig(out=out, customers=400, months=2, seed=5))
    ingest_cdr_files(sorted((out / "silos/cdr").glob("*/*.csv")), out / "store")
    con = duckdb_backend()
    lines = ibis.memtable(lines_from_silos(out / "silos"))
    usage = con.execute(
        customer_month_usage(line_month_usage(cdr_table(con, out / "store")), lines)
    )
    last = usage[usage.month == usage.month.max()]
    return last.sort_values("customer").reset_index(drop=True)


def test_every_customer_gets_a_profile(month: pd.DataFrame) -> None:
    profiles = fit_profiles(month, columns=COLUMNS, seed=0)

    assert 3 <= profiles.k <= 8
    assert sorted(profiles.silhouettes) == [3, 4, 5, 6, 7, 8]
    assert profiles.k == max(profiles.silhouettes, key=profiles.silhouettes.__getitem__)
    assert list(profiles.labels.index) == list(month.customer)
    assert set(profiles.labels) == set(range(profiles.k))
    assert "night_share" not in profiles.log_columns
    assert "data_mb" in profiles.log_columns


def test_describe_sizes_add_up_and_descriptions_name_columns(
    month: pd.DataFrame,
) -> None:
    profiles = fit_profiles(month, columns=COLUMNS, seed=0)
    table = profiles.describe()

    assert list(table.cluster) == list(range(profiles.k))
    assert table["size"].sum() == len(month)
    assert list(table["size"]) == sorted(table["size"], reverse=True)
    assert table.share.sum() == pytest.approx(1.0)
    counts = profiles.labels.value_counts()
    assert list(table["size"]) == [counts[c] for c in range(profiles.k)]
    for name in COLUMNS:
        members = month[profiles.labels.to_numpy() == 0]
        assert table.loc[0, name] == pytest.approx(members[name].mean())
    for text in table.description:
        assert isinstance(text, str)
        assert text
        assert any(name in text for name in COLUMNS)


def test_every_description_has_its_chinese(month: pd.DataFrame) -> None:
    descriptions = [
        text
        for k in (3, 5, 8)
        for text in fit_profiles(month, columns=COLUMNS, k=k, seed=0)
        .describe()
        .description
    ]

    for text in descriptions:
        chinese = description_zh(text)
        assert chinese is not None, text
        assert not any(name in chinese for name in COLUMNS), chinese


def test_descriptions_in_chinese_exactly() -> None:
    assert description_zh(TYPICAL_USAGE) == "用量平常（各项均接近平均值）"
    assert description_zh(
        "heavy data users (data_mb 2.3x the average), "
        "travellers (roaming) (roaming_events 4.0x the average), "
        "rarely active at night (night_share -0.8 sd from the average)"
    ) == (
        "流量大户（流量（MB）为平均值的 2.3 倍），"
        "常出行（漫游）（漫游次数为平均值的 4.0 倍），"
        "夜间很少使用（夜间占比偏离平均值 -0.8 个标准差）"
    )
    assert description_zh("few calls (voice_calls 0.4x the average)") == (
        "通话少（通话次数为平均值的 0.4 倍）"
    )
    # Not a text describe() writes: a label of another column, free text.
    assert description_zh("few calls (data_mb 0.4x the average)") is None
    assert description_zh("mostly streaming") is None


def test_same_seed_same_labels_and_assign_reproduces_them(
    month: pd.DataFrame,
) -> None:
    first = fit_profiles(month, columns=COLUMNS, k=4, seed=7)
    second = fit_profiles(month, columns=COLUMNS, k=4, seed=7)

    pd.testing.assert_series_equal(first.labels, second.labels)
    assert list(first.describe().description) == list(second.describe().description)
    pd.testing.assert_series_equal(first.assign(month), first.labels)


def test_profiles_reject_unknown_columns(month: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not_a_column"):
        fit_profiles(month, columns=["data_mb", "not_a_column"])


BASKETS = pd.DataFrame(
    [
        ("b1", "A"), ("b1", "B"), ("b1", "C"),
        ("b2", "A"), ("b2", "B"), ("b2", "B"),  # a duplicate counts once
        ("b3", "A"), ("b3", "C"),
        ("b4", "B"), ("b4", "C"),
        ("b5", "A"), ("b5", "B"), ("b5", "D"),
    ],
    columns=["basket", "item"],
)  # fmt: skip


def test_rules_are_exact_on_a_hand_made_table() -> None:
    # support: A 4/5, B 4/5, C 3/5, AB 3/5, AC 2/5, BC 2/5 (ABC, D: 1/5)
    rules = association_rules_from_baskets(
        BASKETS, basket="basket", item="item", min_support=0.4, min_confidence=0.6
    )

    assert list(rules.columns) == RULE_COLUMNS
    assert list(zip(rules.antecedents, rules.consequents, strict=True)) == [
        (("A",), ("B",)),
        (("B",), ("A",)),
        (("C",), ("A",)),
        (("C",), ("B",)),
    ]  # A->C and B->C: confidence 0.5, below 0.6
    assert list(rules.support) == pytest.approx([0.6, 0.6, 0.4, 0.4])
    assert list(rules.confidence) == pytest.approx([0.75, 0.75, 2 / 3, 2 / 3])
    assert list(rules.lift) == pytest.approx([0.9375, 0.9375, 5 / 6, 5 / 6])


def test_rules_with_several_items_and_lift_above_one() -> None:
    rules = association_rules_from_baskets(
        BASKETS, basket="basket", item="item", min_support=0.2, min_confidence=1.0
    )

    assert list(zip(rules.antecedents, rules.consequents, strict=True)) == [
        (("D",), ("A", "B")),
        (("A", "D"), ("B",)),
        (("B", "D"), ("A",)),
        (("D",), ("A",)),
        (("D",), ("B",)),
    ]
    assert list(rules.support) == pytest.approx([0.2] * 5)
    assert list(rules.confidence) == pytest.approx([1.0] * 5)
    assert list(rules.lift) == pytest.approx([5 / 3, 1.25, 1.25, 1.25, 1.25])


def test_max_len_and_nothing_frequent() -> None:
    pairs_only = association_rules_from_baskets(
        BASKETS,
        basket="basket",
        item="item",
        min_support=0.2,
        min_confidence=1.0,
        max_len=2,
    )
    none = association_rules_from_baskets(
        BASKETS, basket="basket", item="item", min_support=0.9, min_confidence=0.1
    )

    assert list(zip(pairs_only.antecedents, pairs_only.consequents, strict=True)) == [
        (("D",), ("A",)),
        (("D",), ("B",)),
    ]
    assert none.empty
    assert list(none.columns) == RULE_COLUMNS


def test_usage_items_thresholds() -> None:
    features = pd.DataFrame(
        {
            "customer": [f"C{i}" for i in range(10)],
            "data_mb": [0, 1, 2, 3, 4, 5, 6, 7, 8, 90],
            "voice_minutes": [0.0] * 10,
            "sms_sent": [0, 0, 0, 0, 0, 0, 0, 0, 0, 3],
            "international_minutes": [0, 2.5, 0, 0, 0, 0, 0, 0, 0, 0],
            "long_distance_minutes": [0.0] * 10,
            "roaming_events": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
            "night_share": [0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9],
            "weekend_share": [0.3] * 10,
        }
    )

    items = usage_items(features)
    held = items.groupby("item").customer.apply(list).to_dict()

    assert held == {
        "uses_data": [f"C{i}" for i in range(1, 10)],
        "heavy_data": ["C7", "C8", "C9"],  # >= 75th percentile (6.75)
        "sms_user": ["C9"],
        "international_calls": ["C1"],
        "roaming": ["C2"],
        "night_caller": ["C9"],  # above the 90th percentile (0.18)
    }  # nobody is above the 90th percentile of a constant weekend share


def test_rules_on_generated_usage_respect_the_thresholds(month: pd.DataFrame) -> None:
    items = usage_items(month)
    rules = association_rules_from_baskets(
        items, basket="customer", item="item", min_support=0.05, min_confidence=0.4
    )

    assert len(rules) > 0
    assert (rules.support >= 0.05).all()
    assert (rules.confidence >= 0.4).all()
    assert (rules.antecedents.map(len) + rules.consequents.map(len) <= 3).all()
    assert list(rules.lift) == sorted(rules.lift, reverse=True)
    customers = items.customer.nunique()  # baskets: customers holding an item
    for row in rules.head(5).itertuples():
        by_customer = items.groupby("customer").item.apply(set)
        both = set(row.antecedents) | set(row.consequents)
        holding = sum(both <= held for held in by_customer)
        with_antecedents = sum(set(row.antecedents) <= held for held in by_customer)
        assert row.support == pytest.approx(holding / customers)
        assert row.confidence == pytest.approx(holding / with_antecedents)
