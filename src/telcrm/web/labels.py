"""What the pipeline stores as codes or English, in the language of the page.

The pipeline keeps its texts as zh/en pairs (``telcrm_pipeline.segments``,
``telcrm_pipeline.habits``); these pick the pair's half by the active language,
keyed by the codes ``CustomerScore`` stores. Unknown codes are shown as stored.
"""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from telcrm_pipeline.habits.profiles import description_zh
from telcrm_pipeline.segments.strategy import CUSTOMER_TYPES, SEGMENTS, Segment

SEGMENT_BY_CODE = {segment.code: segment for segment in SEGMENTS.values()}
#: The dashboards' dimensions (``queries.DIMENSIONS``) as the pages name them.
DIMENSION_LABELS = {
    "province": gettext_lazy("Province"),
    "city": gettext_lazy("City"),
    "segment": gettext_lazy("Segment"),
    "product": gettext_lazy("Line of business"),
    "channel": gettext_lazy("Acquisition channel"),
    "month": gettext_lazy("Month"),
}

#: What the audit log's events are about (``AuditEvent.target_type``).
AUDIT_TARGETS = {"customers.customer": gettext_lazy("Customer")}


def chinese() -> bool:
    return (get_language() or "").startswith("zh")


def segment_of(code: str) -> Segment | None:
    return SEGMENT_BY_CODE.get(code)


def in_user_language(segment: Segment) -> tuple[str, str]:
    """The segment's name and treatment in the language of the page."""
    if chinese():
        return segment.name_zh, segment.treatment_zh
    return segment.name_en, segment.treatment_en


def segment_name(code: str) -> str:
    segment = segment_of(code)
    return in_user_language(segment)[0] if segment else code


def segment_treatment(code: str) -> str:
    segment = segment_of(code)
    return in_user_language(segment)[1] if segment else ""


def band_label(band: str) -> str:
    """A value or risk band (``low``, ``medium``, ``high``)."""
    labels = {"low": _("low"), "medium": _("medium"), "high": _("high")}
    return labels.get(band, band)


def dimension_label(dimension: str) -> str:
    return str(DIMENSION_LABELS.get(dimension, dimension))


def customer_type_label(code: str) -> str:
    kind = CUSTOMER_TYPES.get(code)
    if kind is None:
        return code
    return kind.name_zh if chinese() else kind.name_en


def service_level_label(code: str) -> str:
    """The service level of a customer type (the pipeline derives the stored
    ``service_level`` from the type alone)."""
    kind = CUSTOMER_TYPES.get(code)
    if kind is None:
        return ""
    return kind.service_level_zh if chinese() else kind.service_level_en


def habit_profile_label(description: str) -> str:
    """A consumption profile's description, as stored (English) or in Chinese."""
    if chinese():
        return description_zh(description) or description
    return description


def target_type_label(target_type: str) -> str:
    """An audit event's target type (a model's ``label_lower``) by its name."""
    return str(AUDIT_TARGETS.get(target_type, target_type))
