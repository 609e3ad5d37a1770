"""Consumption habits: customer usage profiles (k-means) and association rules
between usage habits, subscriptions and add-ons (``docs/habits.md``)."""

from telcrm_pipeline.habits.associations import (
    RULE_COLUMNS,
    association_rules_from_baskets,
    usage_items,
)
from telcrm_pipeline.habits.profiles import Profiles, fit_profiles

__all__ = [
    "RULE_COLUMNS",
    "Profiles",
    "association_rules_from_baskets",
    "fit_profiles",
    "usage_items",
]
