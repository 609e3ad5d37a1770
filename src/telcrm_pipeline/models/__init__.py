"""Predictive models on customer tables (no Django).

``churn``: the churn model family; ``operator_churn``: that model on the operator's
customer-month snapshots, split in time.
"""

from telcrm_pipeline.models.churn import (
    DEFAULT_PARAMS,
    ChurnModel,
    TargetError,
    cross_validate,
    out_of_fold_predictions,
    parse_target,
    prepare_table,
    quality_report,
)
from telcrm_pipeline.models.operator_churn import (
    OperatorChurnResult,
    TimeSplit,
    compare_graph_features,
    evaluate_against_truth,
    operator_reasons,
    score_latest_month,
    time_split,
    train_operator_churn,
    training_table,
)

__all__ = [
    "DEFAULT_PARAMS",
    "ChurnModel",
    "OperatorChurnResult",
    "TargetError",
    "TimeSplit",
    "compare_graph_features",
    "cross_validate",
    "evaluate_against_truth",
    "operator_reasons",
    "out_of_fold_predictions",
    "parse_target",
    "prepare_table",
    "quality_report",
    "score_latest_month",
    "time_split",
    "train_operator_churn",
    "training_table",
]
