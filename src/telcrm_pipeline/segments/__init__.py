"""Segmentation and differentiated strategy (R5): the value x churn-risk matrix, four
customer types with their service levels, and the 7P view. See ``strategy`` and
docs/value-and-segments.md."""

from telcrm_pipeline.segments.strategy import (
    CUSTOMER_TYPES,
    SEGMENTS,
    CustomerType,
    CustomerTypeRules,
    Segment,
    ValueRiskBands,
    customer_types,
    seven_p_table,
    value_risk_matrix,
)

__all__ = [
    "CUSTOMER_TYPES",
    "SEGMENTS",
    "CustomerType",
    "CustomerTypeRules",
    "Segment",
    "ValueRiskBands",
    "customer_types",
    "seven_p_table",
    "value_risk_matrix",
]
