"""A campaign's target rule: the customers it selects, and what it costs to see them.

A rule is a JSON object; every key is optional and narrows the list:

``segments``, ``value_bands``, ``risk_bands``, ``customer_types`` (lists of codes from
the latest pipeline run), ``churn_min`` / ``churn_max`` (churn probability),
``offerings`` (product codes of an active line), ``provinces`` (the address),
``party_kinds`` (``individual`` / ``organization``).

Scores, segments and types are computed from call records, so a rule that uses them
marks the campaign as targeting with usage data (rule 5 of the contact policy).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from telcrm.customers.choices import CustomerStatus
from telcrm.customers.models import Customer
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium

LIST_KEYS = {
    "segments": "score__segment_code__in",
    "value_bands": "score__value_band__in",
    "risk_bands": "score__risk_band__in",
    "customer_types": "score__customer_type__in",
    "party_kinds": "party__kind__in",
}
NUMBER_KEYS = {
    "churn_min": "score__churn_probability__gte",
    "churn_max": "score__churn_probability__lte",
}
OTHER_KEYS = {"offerings", "provinces"}
USAGE_DATA_KEYS = frozenset(
    {
        "segments",
        "value_bands",
        "risk_bands",
        "customer_types",
        "churn_min",
        "churn_max",
    }
)


def target_rule_clean(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule with empty keys dropped; ValidationError naming a bad key or value."""
    cleaned: dict[str, Any] = {}
    for key, value in rule.items():
        if key in LIST_KEYS or key in OTHER_KEYS:
            if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value
            ):
                raise ValidationError(
                    _("Target rule %(key)s must be a list of codes.") % {"key": key}
                )
            if value:
                cleaned[key] = sorted(set(value))
        elif key in NUMBER_KEYS:
            if value is None or value == "":
                continue
            number = float(value)
            if not 0 <= number <= 1:
                raise ValidationError(
                    _("Target rule %(key)s must lie in [0, 1].") % {"key": key}
                )
            cleaned[key] = number
        else:
            raise ValidationError(_("Unknown target rule key %(key)s.") % {"key": key})
    return cleaned


def rule_uses_usage_data(rule: dict[str, Any]) -> bool:
    return bool(USAGE_DATA_KEYS & rule.keys())


def target_customers(rule: dict[str, Any]) -> QuerySet[Customer]:
    """Active, unmerged customers the rule selects."""
    qs = Customer.objects.filter(status=CustomerStatus.ACTIVE, merged_into__isnull=True)
    for key, lookup in {**LIST_KEYS, **NUMBER_KEYS}.items():
        if key in rule:
            qs = qs.filter(**{lookup: rule[key]})
    if rule.get("offerings"):
        qs = qs.filter(
            Exists(
                Subscription.objects.filter(
                    customer=OuterRef("pk"),
                    status=SubscriptionStatus.ACTIVE,
                    offering__code__in=rule["offerings"],
                )
            )
        )
    if rule.get("provinces"):
        qs = qs.filter(
            Exists(
                ContactMedium.objects.filter(
                    party=OuterRef("party_id"),
                    kind=ContactKind.ADDRESS,
                    province__in=rule["provinces"],
                )
            )
        )
    return qs
