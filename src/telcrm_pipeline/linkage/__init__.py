"""Identity linkage across the operator's silos (CRM, billing, broadband).

One person or company appears once or more in each system, spelt differently. The
steps: ``records_from_silos`` (or the Django side's own records, same columns) ->
``predict_links`` (scored candidate pairs with a decision each) -> ``cluster_links``
(record id -> cluster id). ``truth_entities`` and ``pairwise_metrics`` evaluate a
clustering against a generated operator's ground truth. docs/linkage.md explains the
comparisons, thresholds and evidence to a data steward.
"""

from telcrm_pipeline.linkage.cluster import DEFAULT_DECISIONS, cluster_links
from telcrm_pipeline.linkage.evaluate import (
    LinkageMetrics,
    pairwise_metrics,
    truth_entities,
)
from telcrm_pipeline.linkage.model import (
    COMPARED_FIELDS,
    DECISIONS,
    PAIR_COLUMNS,
    LinkageThresholds,
    linkage_settings,
    predict_links,
)
from telcrm_pipeline.linkage.records import (
    KNOWN_LINK_COLUMNS,
    RECORD_COLUMNS,
    infer_party_kind,
    normalise_phone,
    record_id,
    records_from_silos,
)

__all__ = [
    "COMPARED_FIELDS",
    "DECISIONS",
    "DEFAULT_DECISIONS",
    "KNOWN_LINK_COLUMNS",
    "PAIR_COLUMNS",
    "RECORD_COLUMNS",
    "LinkageMetrics",
    "LinkageThresholds",
    "cluster_links",
    "infer_party_kind",
    "linkage_settings",
    "normalise_phone",
    "pairwise_metrics",
    "predict_links",
    "record_id",
    "records_from_silos",
    "truth_entities",
]
