"""The probabilistic linkage model (Fellegi-Sunter, trained unsupervised with Splink).

``linkage_settings()`` holds plain Splink settings: equality and Levenshtein levels on
columns that ``features.feature_table`` derives in Python, so the same settings run on
DuckDB (used here) and on Spark. ``predict_links`` trains the model on the records
themselves (u by random sampling, m by expectation maximisation) and returns scored
candidate pairs with a decision each.

Grain of the pairs table: one row per unordered pair of records
(``record_id_l < record_id_r``), only pairs decided ``exact_id``,
``source_reference``, ``auto`` or ``review``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from telcrm_pipeline.linkage.features import feature_table
from telcrm_pipeline.linkage.records import KNOWN_LINK_COLUMNS

EXACT_ID, SOURCE_REFERENCE, AUTO, REVIEW = (
    "exact_id",
    "source_reference",
    "auto",
    "review",
)
DECISIONS: tuple[str, ...] = (EXACT_ID, SOURCE_REFERENCE, AUTO, REVIEW)
PAIR_COLUMNS: tuple[str, ...] = (
    "record_id_l",
    "record_id_r",
    "match_weight",
    "match_probability",
    "evidence",
    "decision",
    "valid_id_l",
    "valid_id_r",
)
PAIRS_SCHEMA = pa.schema(
    [
        ("record_id_l", pa.string()),
        ("record_id_r", pa.string()),
        ("match_weight", pa.float64()),
        ("match_probability", pa.float64()),
        ("evidence", pa.string()),
        ("decision", pa.string()),
        ("valid_id_l", pa.string()),
        ("valid_id_r", pa.string()),
    ]
)
# The compared fields, in the order of the settings' comparisons (evidence keys).
COMPARED_FIELDS: tuple[str, ...] = (
    "name",
    "id_number",
    "birth_date",
    "phone",
    "address",
)
# A birth date is only known on both sides of CRM-CRM pairs, too few for EM: a clerk
# mistypes a birth date about as often as an ID digit.
BIRTH_DATE_M = {"exact": 0.97, "different": 0.03}
# Random pairs from a table that holds each entity up to four times are not all
# non-matches: the u probabilities are corrected for the matches among them, and no
# u probability falls below one over the number of random pairs drawn (the sample
# cannot tell anything rarer). No level is impossible for a match either: m
# probabilities are floored at M_FLOOR.
M_FLOOR = 1e-4
RANDOM_PAIRS = 4_000_000
SEED = 42


@dataclass(frozen=True)
class LinkageThresholds:
    """Match probabilities that turn a scored pair into a decision.

    ``auto_link``: at or above, the pair is linked without a person (``auto``).
    ``review``: at or above (and below ``auto_link``), staff decide (``review``);
    below, the pair is dropped.
    """

    auto_link: float = 0.99
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.auto_link <= 1.0:
            raise ValueError("need 0 < review <= auto_link <= 1")


def _level(level: Any, label: str) -> Any:
    return level.configure(label_for_charts=label)


def linkage_settings() -> SettingsCreator:
    """The model's comparisons and blocking rules (portable Splink settings)."""
    name = cl.CustomComparison(
        [
            cll.NullLevel("name"),
            _level(
                cll.ExactMatchLevel("name", term_frequency_adjustments=True), "exact"
            ),
            _level(
                cll.ExactMatchLevel("name_pinyin", term_frequency_adjustments=True),
                "pinyin equal",
            ),
            _level(cll.ArrayIntersectLevel("name_pinyin_keys", 1), "pinyin similar"),
            _level(cll.ExactMatchLevel("name_sorted"), "same characters reordered"),
            _level(cll.ElseLevel(), "different"),
        ],
        output_column_name="name",
        comparison_description="name: exact, same pinyin, same characters reordered",
    )
    id_number = cl.CustomComparison(
        [
            cll.NullLevel("id_number"),
            _level(cll.ExactMatchLevel("id_number"), "exact"),
            _level(cll.LevenshteinLevel("id_number", 1), "one character off"),
            _level(cll.ElseLevel(), "different"),
        ],
        output_column_name="id_number",
        comparison_description="resident ID number or unified social credit code",
    )
    birth_date = cl.CustomComparison(
        [
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date").configure(
                label_for_charts="exact",
                m_probability=BIRTH_DATE_M["exact"],
                fix_m_probability=True,
            ),
            cll.ElseLevel().configure(
                label_for_charts="different",
                m_probability=BIRTH_DATE_M["different"],
                fix_m_probability=True,
            ),
        ],
        output_column_name="birth_date",
    )
    phone = cl.CustomComparison(
        [
            cll.NullLevel("phone"),
            _level(cll.ExactMatchLevel("phone"), "exact"),
            _level(cll.ElseLevel(), "different"),
        ],
        output_column_name="phone",
        comparison_description="phone number in E.164",
    )
    address = cl.CustomComparison(
        [
            cll.Or(cll.NullLevel("street"), cll.NullLevel("district_key")),
            _level(
                cll.And(
                    cll.ExactMatchLevel("street"), cll.ExactMatchLevel("district_key")
                ),
                "exact",
            ),
            _level(cll.ExactMatchLevel("district_key"), "same district"),
            _level(cll.ExactMatchLevel("city_key"), "same city"),
            _level(cll.ElseLevel(), "different"),
        ],
        output_column_name="address",
        comparison_description="street, district and city",
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[name, id_number, birth_date, phone, address],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("phone"),
            block_on("name_pinyin", "party_kind"),
            block_on("name_sorted", "party_kind"),
            block_on("street", "district_key"),
        ],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=50,
    )


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Splink warns about levels EM cannot see (expected here); keep them out of
    the caller's log unless it asked for Splink's own debug output."""
    logger = logging.getLogger("splink")
    level = logger.level
    if level < logging.ERROR and level != logging.DEBUG:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _correct_u(model: dict[str, Any], u_floor: float) -> dict[str, Any]:
    """Remove the matches hidden among the random pairs from the u probabilities.

    A random pair's level frequency f is ``lam * m + (1 - lam) * u``, with ``lam`` the
    probability that two random records match; so ``u = (f - lam * m) / (1 - lam)``,
    floored at ``u_floor`` and renormalised. Without it, an exact ID number (seen in
    random pairs only because of the duplicates) looks far less rare than it is.
    m probabilities are floored at ``M_FLOOR`` (EM can drive a level to zero).
    """
    lam = float(model["probability_two_random_records_match"])
    for comparison in model["comparisons"]:
        levels = [
            level
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level") and level.get("u_probability") is not None
        ]
        for level in levels:
            m = float(level.get("m_probability") or 0.0)
            u = (float(level["u_probability"]) - lam * m) / (1.0 - lam)
            level["u_probability"] = max(u, u_floor)
            level["m_probability"] = max(m, M_FLOOR)
        for key in ("u_probability", "m_probability"):
            total = sum(level[key] for level in levels)
            for level in levels:
                level[key] /= total
    return model


def _trained_model(
    con: duckdb.DuckDBPyConnection, features: pa.Table
) -> tuple[Linker, DuckDBAPI]:
    """Train on ``features`` without labels; return a linker holding the model
    (and its database API, on ``con``)."""
    db_api = DuckDBAPI(connection=con)
    table = db_api.register(features, table_name="linkage_records")
    linker = Linker(table, linkage_settings(), log_level=None)
    n = features.num_rows
    random_pairs = max(min(RANDOM_PAIRS, n * (n - 1) / 2), 1.0)
    with _quiet_splink():
        linker.training.estimate_probability_two_random_records_match(
            [block_on("id_number"), block_on("phone", "name_pinyin")], recall=0.9
        )
        linker.training.estimate_u_using_random_sampling(
            max_pairs=random_pairs, seed=SEED
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("phone")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_pinyin")
        )
    model = _correct_u(linker.misc.save_model_to_json(), 1.0 / random_pairs)
    scoring = DuckDBAPI(connection=con)
    scored_table = scoring.register(features, table_name="linkage_records_scored")
    return Linker(scored_table, model, log_level=None), scoring


def _level_labels(linker: Linker) -> dict[str, dict[int, str]]:
    """Comparison -> gamma value -> level label (gamma -1 is the null level)."""
    model = linker.misc.save_model_to_json()
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        by_gamma = {-1: "missing"}
        for position, level in enumerate(non_null):
            by_gamma[len(non_null) - 1 - position] = level["label_for_charts"]
        labels[comparison["output_column_name"]] = by_gamma
    return labels


def _pairs_to_score(
    con: duckdb.DuckDBPyConnection, known_links: pa.Table | None
) -> None:
    """``extra_pairs``: exact-ID pairs and known links (``l < r``) with a reason."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE extra_pairs AS
        SELECT l.unique_id AS record_id_l, r.unique_id AS record_id_r,
               'exact_id' AS decision
        FROM linkage_features l JOIN linkage_features r
          ON l.id_number = r.id_number AND l.unique_id < r.unique_id
        WHERE l.id_valid AND r.id_valid
        """
    )
    if known_links is None or known_links.num_rows == 0:
        return
    links = known_links.select(list(KNOWN_LINK_COLUMNS[:2]))
    con.register("known_links_input", links)
    con.execute(
        """
        INSERT INTO extra_pairs
        SELECT DISTINCT least(k.record_id_l, k.record_id_r),
               greatest(k.record_id_l, k.record_id_r), 'source_reference'
        FROM known_links_input k
        JOIN linkage_features a ON a.unique_id = k.record_id_l
        JOIN linkage_features b ON b.unique_id = k.record_id_r
        WHERE k.record_id_l <> k.record_id_r
        """
    )
    con.unregister("known_links_input")


def predict_links(
    records: pa.Table,
    known_links: pa.Table | None = None,
    *,
    thresholds: LinkageThresholds = LinkageThresholds(),
) -> pa.Table:
    """Score candidate pairs of ``records`` and decide each one.

    ``records`` has ``RECORD_COLUMNS`` (one row per source record, unique
    ``record_id``); ``known_links`` has ``record_id_l``, ``record_id_r`` (and
    ``reason``). Returns the pairs table (``PAIR_COLUMNS``): ``exact_id`` (both
    records carry the same valid ID number), ``source_reference`` (in
    ``known_links``), ``auto`` (probability >= ``thresholds.auto_link``), ``review``
    (>= ``thresholds.review``). Lower pairs are dropped. Every returned pair is
    scored by the model, including exact-ID and known pairs that no blocking rule
    found, so its evidence can be shown. ``valid_id_l``/``valid_id_r`` carry each
    record's valid ID number (for ``cluster_links``' constraint).
    """
    features = feature_table(records)
    ids = features.column("unique_id")
    if ids.null_count or len(ids.unique()) != features.num_rows:
        raise ValueError("record_id must be present and unique")
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.register("linkage_features_input", features)
        con.execute(
            "CREATE TEMP TABLE linkage_features AS SELECT * FROM linkage_features_input"
        )
        con.unregister("linkage_features_input")
        linker, db_api = _trained_model(con, features)
        labels = _level_labels(linker)
        _pairs_to_score(con, known_links)
        with _quiet_splink():
            blocked = linker.inference.compute_blocked_pairs_for_predict()
            con.execute(
                f"""
                CREATE TEMP TABLE candidate_pairs AS
                SELECT min(match_key) AS match_key, join_key_l, join_key_r
                FROM (
                    SELECT match_key, join_key_l, join_key_r
                    FROM {blocked.physical_name}
                    UNION ALL
                    SELECT '99', record_id_l, record_id_r FROM extra_pairs
                ) GROUP BY join_key_l, join_key_r
                """  # noqa: S608 (a table name Splink made)
            )
            registered = db_api.register(
                "candidate_pairs", table_name="linkage_candidate_pairs"
            )
            linker.table_management.register_blocked_pairs_for_predict(registered)
            predictions = linker.inference.predict()
            gammas = ", ".join(f"gamma_{field}" for field in COMPARED_FIELDS)
            scored = con.execute(
                f"""
                SELECT p.unique_id_l, p.unique_id_r, p.match_weight,
                       p.match_probability, {gammas},
                       CASE WHEN fl.id_valid THEN fl.id_number END AS valid_id_l,
                       CASE WHEN fr.id_valid THEN fr.id_number END AS valid_id_r,
                       (SELECT min(CASE e.decision WHEN 'exact_id' THEN 0 ELSE 1 END)
                        FROM extra_pairs e
                        WHERE e.record_id_l = least(p.unique_id_l, p.unique_id_r)
                          AND e.record_id_r = greatest(p.unique_id_l, p.unique_id_r)
                       ) AS extra_rank
                FROM {predictions.physical_name} p
                JOIN linkage_features fl ON fl.unique_id = p.unique_id_l
                JOIN linkage_features fr ON fr.unique_id = p.unique_id_r
                WHERE p.match_probability >= ? OR extra_rank IS NOT NULL
                ORDER BY p.unique_id_l, p.unique_id_r
                """,  # noqa: S608 (column and table names from the settings)
                [thresholds.review],
            ).fetchall()
    return _pairs_table(scored, labels, thresholds)


def _decision(
    evidence: dict[str, str],
    probability: float,
    extra_rank: int | None,
    thresholds: LinkageThresholds,
) -> str:
    """Exact ID, then source reference, then the model's thresholds. Names that
    differ (no exact, pinyin or reordered agreement) are never linked without a
    person: such a pair goes to review, even with the same ID number (two people
    registered under one ID) or a source reference (a line in someone else's name).
    """
    if evidence["name"] == "different":
        return REVIEW
    if extra_rank == 0:
        return EXACT_ID
    if extra_rank == 1:
        return SOURCE_REFERENCE
    return AUTO if probability >= thresholds.auto_link else REVIEW


def _pairs_table(
    rows: list[tuple[Any, ...]],
    labels: dict[str, dict[int, str]],
    thresholds: LinkageThresholds,
) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in PAIR_COLUMNS}
    n_fields = len(COMPARED_FIELDS)
    for row in rows:
        left, right, weight, probability = row[:4]
        gammas = row[4 : 4 + n_fields]
        valid_l, valid_r, extra_rank = row[4 + n_fields :]
        evidence = {
            field: labels[field][int(gamma)]
            for field, gamma in zip(COMPARED_FIELDS, gammas, strict=True)
        }
        decision = _decision(evidence, probability, extra_rank, thresholds)
        # Keep the left/right order of the records even if Splink swapped them.
        if left > right:
            left, right, valid_l, valid_r = right, left, valid_r, valid_l
        columns["record_id_l"].append(left)
        columns["record_id_r"].append(right)
        columns["match_weight"].append(float(weight))
        columns["match_probability"].append(float(probability))
        columns["evidence"].append(json.dumps(evidence, ensure_ascii=False))
        columns["decision"].append(decision)
        columns["valid_id_l"].append(valid_l)
        columns["valid_id_r"].append(valid_r)
    return pa.table(columns, schema=PAIRS_SCHEMA)
