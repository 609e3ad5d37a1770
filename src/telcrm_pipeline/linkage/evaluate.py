"""Evaluation against the generator's ground truth (never used for training).

``truth_entities`` reads ``truth/identities.csv``: record id -> true entity.
``pairwise_metrics`` compares clusters to entities pair by pair, from counts per
(cluster, entity) group, so it never enumerates pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from telcrm_pipeline.linkage.records import read_silo_csv, record_id, silo_encoding


@dataclass(frozen=True)
class LinkageMetrics:
    """Pairwise precision and recall of a clustering against the truth.

    A pair of records is predicted-linked when both are in one predicted cluster and
    truly linked when both belong to one entity. Precision is 1.0 when no pair is
    predicted, recall is 1.0 when no pair is truly linked.
    """

    precision: float
    recall: float
    f1: float
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int


def truth_entities(truth_dir: Path, encoding: str | None = None) -> dict[str, str]:
    """``record_id`` (``crm:C...``, ``billing:A...``, ``broadband:BB...``) ->
    ``entity_id``, from ``truth_dir/identities.csv`` (encoding from the truth
    manifest when not given)."""
    truth_dir = Path(truth_dir)
    if encoding is None:
        encoding = silo_encoding(truth_dir)
    table = read_silo_csv(truth_dir / "identities.csv", encoding)
    return {
        record_id(row["source_system"], row["source_id"]): row["entity_id"]
        for row in table.to_pylist()
    }


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def pairwise_metrics(
    predicted: Mapping[str, str], truth: Mapping[str, str]
) -> LinkageMetrics:
    """Pairwise metrics over the records present in both mappings."""
    common = predicted.keys() & truth.keys()
    by_cluster = Counter(predicted[r] for r in common)
    by_entity = Counter(truth[r] for r in common)
    by_both = Counter((predicted[r], truth[r]) for r in common)
    true_positive = sum(_pairs(n) for n in by_both.values())
    predicted_pairs = sum(_pairs(n) for n in by_cluster.values())
    true_pairs = sum(_pairs(n) for n in by_entity.values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkageMetrics(
        precision=precision,
        recall=recall,
        f1=f1,
        true_positive_pairs=true_positive,
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
    )
