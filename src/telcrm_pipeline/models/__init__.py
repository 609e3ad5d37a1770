"""Predictive models on customer tables (no Django).

``churn``: the churn model family.
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

__all__ = [
    "DEFAULT_PARAMS",
    "ChurnModel",
    "TargetError",
    "cross_validate",
    "out_of_fold_predictions",
    "parse_target",
    "prepare_table",
    "quality_report",
]
