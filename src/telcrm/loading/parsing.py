"""Turning text fields into values, with errors that name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from telcrm.loading.reading import UNDECODABLE, WRONG_COUNT


class RowError(ValueError):
    """One row breaks the contract; ``field`` names the column at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_readable(row: dict[str, str]) -> None:
    """Refuse a row the reader could not split or decode (see ``reading.row_dict``)."""
    if WRONG_COUNT in row:
        raise RowError("(row)", row[WRONG_COUNT])
    if UNDECODABLE in row:
        field, reason = row[UNDECODABLE].split("\t", 1)
        raise RowError(field, reason)


def required(row: dict[str, str], field: str) -> str:
    value = row.get(field, "").strip()
    if not value:
        raise RowError(field, "is required")
    return value


def optional(row: dict[str, str], field: str) -> str:
    return row.get(field, "").strip()


def one_of(row: dict[str, str], field: str, allowed: Iterable[str]) -> str:
    value = required(row, field)
    allowed = list(allowed)
    if value not in allowed:
        raise RowError(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def date_value(row: dict[str, str], field: str) -> dt.date:
    value = required(row, field)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise RowError(field, f"{value!r} is not a date (YYYY-MM-DD)") from error


def optional_date(row: dict[str, str], field: str) -> dt.date | None:
    return date_value(row, field) if optional(row, field) else None


def month_value(row: dict[str, str], field: str) -> dt.date:
    value = required(row, field)
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as error:
        raise RowError(field, f"{value!r} is not a month (YYYY-MM)") from error


def local_datetime(row: dict[str, str], field: str, zone: ZoneInfo) -> dt.datetime:
    """Silo times are the operator's local time without an offset."""
    value = required(row, field)
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=zone)
    except ValueError as error:
        raise RowError(
            field, f"{value!r} is not a time (YYYY-MM-DD HH:MM:SS)"
        ) from error


def optional_datetime(
    row: dict[str, str], field: str, zone: ZoneInfo
) -> dt.datetime | None:
    return local_datetime(row, field, zone) if optional(row, field) else None


def money(row: dict[str, str], field: str) -> Decimal:
    value = required(row, field)
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise RowError(field, f"{value!r} is not an amount") from error
    if not amount.is_finite():
        raise RowError(field, f"{value!r} is not an amount")
    return amount


def whole_number(row: dict[str, str], field: str, *, default: int = 0) -> int:
    value = optional(row, field)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise RowError(field, f"{value!r} is not a whole number") from error
    if number < 0:
        raise RowError(field, f"{value!r} is negative")
    return number


def flag(row: dict[str, str], field: str) -> bool:
    return one_of(row, field, ("0", "1")) == "1"
