"""Inserting validated rows in bulk, falling back to one by one to name a bad row.

The database's constraints are the last line of defence: when a batch breaks one, the
batch is retried row by row inside savepoints so that only the offending rows are
rejected, each with the constraint's own human message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from telcrm.loading.parsing import RowError

BATCH_SIZE = 1000
M = TypeVar("M", bound=models.Model)


@dataclass
class Pending(Generic[M]):
    """A row that passed parsing, waiting to be inserted."""

    line: int
    row: dict[str, str]
    instance: M


def validate_fields(instance: models.Model, *, exclude: Sequence[str] = ()) -> None:
    """Run the field validators (ID check digit, E.164, choices, lengths) in Python."""
    foreign_keys = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    try:
        instance.clean_fields(exclude=[*foreign_keys, *exclude])
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise RowError(name, "; ".join(messages)) from error


def constraint_message(model: type[models.Model], error: IntegrityError) -> str:
    """The violated constraint's own message when it can be told, else the DB's."""
    text = str(error)
    for constraint in model._meta.constraints:
        if constraint.name and constraint.name in text:
            return str(constraint.violation_error_message) % {"name": constraint.name}
    return text.splitlines()[0]


RejectRow = Callable[[int, dict[str, str], str, str], None]


def insert_pending(
    model: type[M], pending: list[Pending[M]], reject: RejectRow
) -> list[Pending[M]]:
    """Insert the rows; return those that went in, reject the ones the DB refused."""
    inserted: list[Pending[M]] = []
    for start in range(0, len(pending), BATCH_SIZE):
        batch = pending[start : start + BATCH_SIZE]
        try:
            with transaction.atomic():
                model._default_manager.bulk_create([item.instance for item in batch])
            inserted.extend(batch)
        except IntegrityError:
            inserted.extend(insert_one_by_one(model, batch, reject))
    return inserted


def insert_one_by_one(
    model: type[M], batch: list[Pending[M]], reject: RejectRow
) -> list[Pending[M]]:
    inserted = []
    for item in batch:
        try:
            with transaction.atomic():
                model._default_manager.bulk_create([item.instance])
            inserted.append(item)
        except IntegrityError as error:
            reason = constraint_message(model, error)
            reject(item.line, item.row, "(constraint)", reason)
    return inserted
