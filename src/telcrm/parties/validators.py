"""Field validators wrapping ``telcrm.lib`` for model forms and ``full_clean``."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from telcrm.lib.identifiers import (
    InvalidIdentifier,
    resident_id_normalize,
    uscc_normalize,
)
from telcrm.lib.phones import InvalidPhoneNumber, phone_normalize


def validate_resident_id(value: str) -> None:
    """Reject a resident ID number whose check digit or birth date is wrong."""
    try:
        resident_id_normalize(value)
    except InvalidIdentifier as exc:
        raise ValidationError(str(exc), code="invalid_resident_id") from exc


def validate_uscc(value: str) -> None:
    """Reject an invalid unified social credit code."""
    try:
        uscc_normalize(value)
    except InvalidIdentifier as exc:
        raise ValidationError(str(exc), code="invalid_uscc") from exc


def validate_e164(value: str) -> None:
    """Accept only phone numbers already in their normalised E.164 form."""
    try:
        normalised = phone_normalize(value)
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc), code="invalid_phone") from exc
    if normalised != value:
        raise ValidationError("store phone numbers in E.164", code="not_e164")
