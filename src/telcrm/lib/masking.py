"""Masked display of personal identifiers (GB/T 35273 §7.2; RELIABILITY PRIV-1)."""

from __future__ import annotations

from telcrm.lib.phones import InvalidPhoneNumber, phone_national


def mask_phone(value: str) -> str:
    """``+8613812345678`` or ``13812345678`` -> ``138****5678`` (3 + 4 visible).

    Numbers too short to keep 7 digits visible are masked except their last 4.
    """
    if not value:
        return ""
    digits = value
    if value.startswith("+"):
        try:
            digits = phone_national(value)
        except InvalidPhoneNumber:
            digits = value.lstrip("+")
    if len(digits) <= 7:
        return mask_tail(digits, 4)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    """Only the last 4 characters of an ID number stay visible."""
    return mask_tail(value, 4)


def mask_tail(value: str, visible: int) -> str:
    """Replace all but the last ``visible`` characters with ``*``."""
    if not value:
        return ""
    hidden = max(len(value) - visible, 0)
    return "*" * hidden + value[hidden:]
