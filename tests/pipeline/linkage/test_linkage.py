"""Identity linkage: records from the silos, scored pairs, clusters, metrics."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from telcrm_pipeline.linkage import (
    DECISIONS,
    PAIR_COLUMNS,
    RECORD_COLUMNS,
    LinkageMetrics,
    LinkageThresholds,
    cluster_links,
    normalise_phone,
    pairwise_metrics,
    truth_entities,
)
from telcrm_pipeline.linkage.features import fuzzy_syllable, name_pinyin_keys
from telcrm_pipeline.linkage.records import (
    infer_party_kind,
    read_silo_csv,
    resident_id_is_valid,
)


def pair_rows(pairs: pa.Table) -> dict[tuple[str, str], dict]:
    return {(r["record_id_l"], r["record_id_r"]): r for r in pairs.to_pylist()}


# --- records and known links ---------------------------------------------------


def test_records_have_the_contract_columns_and_one_row_per_source_record(
    operator: Path, silo_records: tuple[pa.Table, pa.Table]
) -> None:
    records, _ = silo_records
    assert tuple(records.column_names) == RECORD_COLUMNS
    silos = operator / "silos"
    expected = sum(
        read_silo_csv(silos / path).num_rows
        for path in (
            "crm/customers.csv",
            "billing/accounts.csv",
            "broadband/customers.csv",
        )
    )
    ids = records.column("record_id").to_pylist()
    assert len(ids) == expected == len(set(ids))
    first = records.slice(0, 1).to_pylist()[0]
    assert first["record_id"] == f"crm:{first['source_id']}"
    assert all(
        p is None or p.startswith("+86") for p in records.column("phone").to_pylist()
    )


def test_known_links_are_the_billing_cust_refs_and_broadband_line_ids(
    operator: Path, silo_records: tuple[pa.Table, pa.Table]
) -> None:
    silos = operator / "silos"
    accounts = read_silo_csv(silos / "billing/accounts.csv").to_pylist()
    subscriptions = read_silo_csv(silos / "crm/subscriptions.csv").to_pylist()
    owner = {s["service_no"]: s["cust_no"] for s in subscriptions}
    expected = {
        (f"billing:{a['acct_no']}", f"crm:{a['cust_ref']}", "billing_cust_ref")
        for a in accounts
        if a["cust_ref"]
    }
    expected |= {
        (
            f"broadband:{b['bb_cust_id']}",
            f"crm:{owner[b['line_id']]}",
            "broadband_line_id",
        )
        for b in read_silo_csv(silos / "broadband/customers.csv").to_pylist()
        if b["line_id"] in owner
    }
    _, known = silo_records
    got = {(k["record_id_l"], k["record_id_r"], k["reason"]) for k in known.to_pylist()}
    assert got == expected
    legacy = sum(1 for a in accounts if not a["cust_ref"])
    reasons = Counter(reason for _, _, reason in got)
    assert reasons["billing_cust_ref"] == len(accounts) - legacy
    assert legacy > 0  # the generator leaves some legacy accounts unreferenced


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("0571-87654321", "+8657187654321"),
        ("12345", None),
        ("", None),
        (None, None),
    ],
)
def test_phones_are_normalised_to_e164(typed: str | None, e164: str | None) -> None:
    assert normalise_phone(typed) == e164


def test_party_kind_is_inferred_from_a_valid_id_or_the_name() -> None:
    assert infer_party_kind("张伟", None) == "individual"
    assert infer_party_kind("杭州华江医疗器械有限公司", "91330111686351066F") == (
        "organization"
    )
    assert infer_party_kind("宁波鑫汇商贸", None) == "organization"
    # a resident ID with one digit wrong can pass the USCC check; the name decides
    assert infer_party_kind("郑诗艳", "330220198047015440") == "individual"
    assert resident_id_is_valid("330126198205011435")
    assert not resident_id_is_valid("330126198205011445")


def test_pinyin_keys_tolerate_nasals_and_polyphonic_characters() -> None:
    assert fuzzy_syllable("ling") == fuzzy_syllable("lin") == "lin"
    assert fuzzy_syllable("zhang") == "zan"
    assert set(name_pinyin_keys("陈玲娜") or ()) & set(name_pinyin_keys("陈琳娜") or ())
    assert set(name_pinyin_keys("王柏振") or ()) & set(name_pinyin_keys("王博振") or ())
    assert not set(name_pinyin_keys("王柏振") or ()) & set(
        name_pinyin_keys("王明振") or ()
    )


# --- predicted pairs -----------------------------------------------------------


def test_pairs_have_the_contract_columns_each_pair_once_never_a_record_with_itself(
    pairs: pa.Table, records: pa.Table
) -> None:
    assert tuple(pairs.column_names) == PAIR_COLUMNS
    keys = list(
        zip(
            pairs["record_id_l"].to_pylist(),
            pairs["record_id_r"].to_pylist(),
            strict=True,
        )
    )
    assert all(left < right for left, right in keys)
    assert len(keys) == len(set(keys))
    known = set(records.column("record_id").to_pylist())
    assert {r for key in keys for r in key} <= known
    assert set(pairs["decision"].to_pylist()) <= set(DECISIONS)


def test_exact_id_pairs_link_directly(pairs: pa.Table, records: pa.Table) -> None:
    """Every pair of records with one valid ID number and the same name is exact_id,
    and every exact_id pair shares a valid ID number."""
    by_id: dict[str, list[dict]] = {}
    for row in records.to_pylist():
        if resident_id_is_valid(row["id_number"]):
            by_id.setdefault(row["id_number"], []).append(row)
    expected = {
        (min(a["record_id"], b["record_id"]), max(a["record_id"], b["record_id"]))
        for group in by_id.values()
        for a in group
        for b in group
        if a["record_id"] < b["record_id"] and a["name"] == b["name"]
    }
    rows = pair_rows(pairs)
    assert expected  # the generator registers some people twice
    assert all(rows[key]["decision"] == "exact_id" for key in expected)
    exact = {key for key, row in rows.items() if row["decision"] == "exact_id"}
    assert all(rows[key]["valid_id_l"] == rows[key]["valid_id_r"] for key in exact)
    assert all(
        json.loads(rows[key]["evidence"])["id_number"] == "exact" for key in exact
    )


def test_a_homophone_typo_links_with_the_pinyin_level_in_its_evidence(
    model_pairs: pa.Table, planted: list[dict]
) -> None:
    crm, billing, broadband = (r["record_id"] for r in planted)
    rows = pair_rows(model_pairs)
    typo = rows[(billing, crm)]
    assert typo["decision"] == "auto"
    assert json.loads(typo["evidence"]) == {
        "name": "pinyin equal",
        "id_number": "missing",
        "birth_date": "missing",
        "phone": "exact",
        "address": "exact",
    }
    swapped = rows[(broadband, crm)]
    assert swapped["decision"] == "auto"
    assert json.loads(swapped["evidence"])["name"] == "same characters reordered"
    clusters = cluster_links(model_pairs["record_id_l"].to_pylist(), model_pairs)
    assert clusters[crm] == clusters[billing] == clusters[broadband] == billing


def test_known_links_are_source_references_unless_the_names_differ(
    pairs: pa.Table, silo_records: tuple[pa.Table, pa.Table]
) -> None:
    rows = pair_rows(pairs)
    _, known = silo_records
    decisions = Counter()
    for link in known.to_pylist():
        row = rows[(link["record_id_l"], link["record_id_r"])]
        names = json.loads(row["evidence"])["name"]
        decisions[row["decision"], names == "different"] += 1
    assert set(decisions) <= {
        ("source_reference", False),
        ("exact_id", False),
        ("review", True),
    }
    assert decisions["source_reference", False] > 0


def test_review_pairs_lie_between_the_thresholds(pairs: pa.Table) -> None:
    thresholds = LinkageThresholds()
    for row in pairs.to_pylist():
        names_differ = json.loads(row["evidence"])["name"] == "different"
        if row["decision"] == "auto":
            assert row["match_probability"] >= thresholds.auto_link
        if row["decision"] == "review" and not names_differ:
            assert thresholds.review <= row["match_probability"] < thresholds.auto_link


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="review <= auto_link"):
        LinkageThresholds(auto_link=0.5, review=0.9)


# --- quality against the truth (seed 11: never used for tuning) -----------------


def test_clusters_reach_the_target_precision_and_recall(
    operator: Path, records: pa.Table, pairs: pa.Table, model_pairs: pa.Table
) -> None:
    truth = truth_entities(operator / "truth")
    ids = records.column("record_id").to_pylist()
    with_references = pairwise_metrics(cluster_links(ids, pairs), truth)
    assert with_references.precision >= 0.98
    assert with_references.recall >= 0.95
    model_only = pairwise_metrics(cluster_links(ids, model_pairs), truth)
    assert model_only.precision >= 0.98
    assert model_only.recall >= 0.95
    assert with_references.true_pairs == model_only.true_pairs > 2000


# --- clustering and metrics on hand-made data -------------------------------------


def hand_pairs(
    rows: list[tuple[str, str, str, float, str | None, str | None]],
) -> pa.Table:
    return pa.table(
        {
            "record_id_l": [r[0] for r in rows],
            "record_id_r": [r[1] for r in rows],
            "decision": [r[2] for r in rows],
            "match_probability": [r[3] for r in rows],
            "valid_id_l": pa.array([r[4] for r in rows], pa.string()),
            "valid_id_r": pa.array([r[5] for r in rows], pa.string()),
        }
    )


def test_clusters_join_kept_decisions_and_never_two_valid_ids() -> None:
    pairs = hand_pairs(
        [
            ("crm:1", "crm:2", "exact_id", 1.0, "ID-A", "ID-A"),
            ("billing:1", "crm:1", "auto", 0.999, None, "ID-A"),
            ("billing:1", "crm:3", "auto", 0.995, None, "ID-B"),  # would chain A to B
            ("broadband:1", "crm:3", "source_reference", 0.2, None, "ID-B"),
            ("broadband:2", "crm:3", "review", 0.9, None, "ID-B"),
        ]
    )
    ids = [
        "crm:1",
        "crm:2",
        "crm:3",
        "billing:1",
        "broadband:1",
        "broadband:2",
        "crm:9",
    ]
    clusters = cluster_links(ids, pairs)
    assert clusters == {
        "crm:1": "billing:1",
        "crm:2": "billing:1",
        "billing:1": "billing:1",
        "crm:3": "broadband:1",
        "broadband:1": "broadband:1",
        "broadband:2": "broadband:2",
        "crm:9": "crm:9",
    }
    with_review = cluster_links(ids, pairs, decisions=("auto", "review"))
    assert with_review["broadband:2"] == with_review["crm:3"] == "broadband:2"
    assert with_review["crm:1"] == with_review["billing:1"] == "billing:1"
    assert with_review["crm:2"] == "crm:2"


def test_pairwise_metrics_count_pairs_per_cluster_and_entity() -> None:
    predicted = {"a": "1", "b": "1", "c": "1", "d": "2", "x": "3"}
    truth = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z"}
    metrics = pairwise_metrics(predicted, truth)
    # clusters {a,b,c} {d}: 3 pairs; entities {a,b} {c,d}: 2 pairs; both: (a,b)
    assert metrics == LinkageMetrics(
        precision=1 / 3,
        recall=1 / 2,
        f1=0.4,
        true_positive_pairs=1,
        predicted_pairs=3,
        true_pairs=2,
    )


def test_pairwise_metrics_of_perfect_and_empty_clusterings() -> None:
    truth = {"a": "X", "b": "X", "c": "Y"}
    assert pairwise_metrics(truth, truth) == LinkageMetrics(1.0, 1.0, 1.0, 1, 1, 1)
    singletons = {"a": "a", "b": "b", "c": "c"}
    assert pairwise_metrics(singletons, truth) == LinkageMetrics(1.0, 0.0, 0.0, 0, 0, 1)
