"""Phone numbers as people type them, normalised to E.164 for storage and lookup."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhoneNumber(ValueError):
    """Raised for text that is not a valid phone number."""


def phone_normalize(value: str, region: str = DEFAULT_REGION) -> str:
    """Return ``value`` in E.164 (``+8613800138000``), or raise InvalidPhoneNumber.

    Accepts the forms found in the silos: ``138 0013 8000``, ``+86 138 0013 8000``,
    ``0571-87654321``. Idempotent: an E.164 string normalises to itself.
    """
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("not a valid phone number for its region")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_national(e164: str) -> str:
    """The national significant number (``13800138000``) of an E.164 string."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not an E.164 number: {exc}") from exc
    return phonenumbers.national_significant_number(parsed)
