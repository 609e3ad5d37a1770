"""Chinese national identifiers: resident ID numbers and unified social credit codes.

The check digits are computed by python-stdnum (GB 11643 for resident IDs, GB 32100 for
USCCs); this module adds the normalisation the CRM stores and the facts an ID encodes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumValidationError


class InvalidIdentifier(ValueError):
    """Raised for a value that is not a valid identifier of the expected kind."""


@dataclass(frozen=True)
class ResidentIdFacts:
    """What an 18-character resident ID number says about its holder."""

    number: str
    birth_date: datetime.date
    gender: str  # "M" or "F", as the CRM's Gender choices store it


def resident_id_normalize(value: str) -> str:
    """Return the canonical 18-character form (spaces removed, check ``X`` upper case).

    Raises InvalidIdentifier for a wrong length, birth date or check digit.
    """
    try:
        number = str(ric.validate(resident_id_compact(value)))
    except StdnumValidationError as exc:
        raise InvalidIdentifier(f"invalid resident ID number: {exc}") from exc
    # 15-digit numbers (pre-1999) have no check digit; the CRM stores 18-digit ones.
    if len(number) != 18:
        raise InvalidIdentifier("invalid resident ID number: 18 characters required")
    return number


def resident_id_facts(value: str) -> ResidentIdFacts:
    """Validate a resident ID number and return its birth date and gender."""
    number = resident_id_normalize(value)
    # The 17th character is the sequence code: odd for men, even for women (GB 11643).
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentIdFacts(number, ric.get_birth_date(number), gender)


def uscc_normalize(value: str) -> str:
    """Return the canonical 18-character unified social credit code, or raise."""
    try:
        return str(uscc.validate(value))
    except StdnumValidationError as exc:
        raise InvalidIdentifier(f"invalid unified social credit code: {exc}") from exc


def resident_id_compact(value: str) -> str:
    """The comparable form of a possibly invalid ID (no separators, ``X`` upper case).

    Blind indexes are computed on this form, so lookups tolerate how people type the
    number while validation stays a separate, explicit step.
    """
    return "".join(value.split()).replace("-", "").upper()
