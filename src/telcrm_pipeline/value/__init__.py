"""Customer value: RFM summaries, BG/NBD purchases, Gamma-Gamma spend and CLV;
contribution per customer and lifetime value on the operator's records.

See ``telcrm_pipeline.value.clv`` and docs/clv.md; ``contribution`` and
``operator_clv`` and docs/value-and-segments.md.
"""

from telcrm_pipeline.value.clv import (
    HOLDOUT_COLUMNS,
    PERIOD_DAYS,
    RFM_COLUMNS,
    BgNbdFit,
    ClvInputError,
    GammaGammaFit,
    bgnbd_log_likelihood,
    customer_lifetime_value,
    expected_average_value,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    parse_dates,
    parse_values,
    probability_alive,
    rfm_summary,
)
from telcrm_pipeline.value.contribution import CostRates, customer_value
from telcrm_pipeline.value.operator_clv import (
    ClvFits,
    SbgFit,
    fit_clv_models,
    fit_sbg,
    fit_sbg_survival,
    margin_from_value,
    operator_clv,
)

__all__ = [
    "HOLDOUT_COLUMNS",
    "PERIOD_DAYS",
    "RFM_COLUMNS",
    "BgNbdFit",
    "ClvFits",
    "ClvInputError",
    "CostRates",
    "GammaGammaFit",
    "SbgFit",
    "bgnbd_log_likelihood",
    "customer_lifetime_value",
    "customer_value",
    "expected_average_value",
    "expected_purchases",
    "expected_purchases_new_customer",
    "fit_bgnbd",
    "fit_clv_models",
    "fit_gamma_gamma",
    "fit_sbg",
    "fit_sbg_survival",
    "gamma_gamma_log_likelihood",
    "margin_from_value",
    "operator_clv",
    "parse_dates",
    "parse_values",
    "probability_alive",
    "rfm_summary",
]
