"""Template filters for the codes the pipeline stores (``telcrm.web.labels``).

``{% load labels %}`` then e.g. ``{{ score.segment_code|segment_name }}``.
"""

from __future__ import annotations

from django import template

from telcrm.web import labels

register = template.Library()

register.filter("band_label", labels.band_label)
register.filter("segment_name", labels.segment_name)
register.filter("segment_treatment", labels.segment_treatment)
register.filter("customer_type_label", labels.customer_type_label)
register.filter("service_level_label", labels.service_level_label)
register.filter("habit_profile_label", labels.habit_profile_label)
register.filter("dimension_label", labels.dimension_label)
register.filter("target_type_label", labels.target_type_label)
