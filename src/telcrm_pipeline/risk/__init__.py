"""Risk: fraud flags on the CDRs and a bad-debt score on the billing records.

``fraud_flags`` scans the CDRs (Ibis: DuckDB or Spark) for SIM boxes, international
bursts and spend spikes; ``bad_debt_scores`` scores postpaid accounts from their
payment behaviour at an as-of date. See ``docs/fraud-and-bad-debt.md``.
"""

from telcrm_pipeline.risk.bad_debt import (
    BadDebtSettings,
    account_features,
    bad_debt_scores,
    evaluate_bad_debt,
)
from telcrm_pipeline.risk.fraud import (
    FLAG_COLUMNS,
    FraudSettings,
    evaluate_fraud,
    fraud_flags,
    line_day_activity,
)

__all__ = [
    "FLAG_COLUMNS",
    "BadDebtSettings",
    "FraudSettings",
    "account_features",
    "bad_debt_scores",
    "evaluate_bad_debt",
    "evaluate_fraud",
    "fraud_flags",
    "line_day_activity",
]
