"""Customer value: RFM summaries, BG/NBD purchases, Gamma-Gamma spend and CLV.

See ``telcrm_pipeline.value.clv`` and docs/clv.md.
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

__all__ = [
    "HOLDOUT_COLUMNS",
    "PERIOD_DAYS",
    "RFM_COLUMNS",
    "BgNbdFit",
    "ClvInputError",
    "GammaGammaFit",
    "bgnbd_log_likelihood",
    "customer_lifetime_value",
    "expected_average_value",
    "expected_purchases",
    "expected_purchases_new_customer",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "parse_dates",
    "parse_values",
    "probability_alive",
    "rfm_summary",
]
