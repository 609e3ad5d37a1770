"""Re-encryption of every encrypted field under the active key (PRIV-2 key rotation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from telcrm.core.fields import EncryptedTextField, field_keyring


@dataclass(frozen=True)
class RotationCount:
    """What a rotation did to one model field."""

    label: str
    rotated: int
    current: int


def encrypted_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, field name) stored encrypted, history tables included."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field.name


def rotate_field(
    model: type[models.Model], name: str, *, batch_size: int = 1000
) -> RotationCount:
    """Re-encrypt the rows of one field not yet under the active key, in batches.

    Keyset pagination on the primary key: memory stays bounded and a crash can be
    resumed by running the command again (rotated rows are then simply "current").
    """
    keyring = field_keyring()
    rotated = current = 0
    last_pk: Any = None
    while True:
        page = _token_page(model, name, last_pk, batch_size)
        if not page:
            return RotationCount(f"{model._meta.label}.{name}", rotated, current)
        last_pk = page[-1][0]
        stale = [pk for pk, token in page if token and keyring.needs_rotation(token)]
        current += sum(1 for _pk, token in page if token) - len(stale)
        if stale:
            _rotate_batch(model, name, stale)
            rotated += len(stale)


def _token_page(
    model: type[models.Model], name: str, after: Any, size: int
) -> list[tuple[Any, str]]:
    # Read the raw tokens (a cast bypasses decryption) to see which key sealed them.
    rows = model._default_manager.filter(**{f"{name}__isnull": False})
    if after is not None:
        rows = rows.filter(pk__gt=after)
    tokens = rows.annotate(_token=Cast(name, models.TextField())).values_list(
        "pk", "_token"
    )
    return list(tokens.order_by("pk")[:size])


@transaction.atomic
def _rotate_batch(model: type[models.Model], name: str, pks: list[object]) -> None:
    # Loading decrypts with whichever key sealed the row; saving encrypts with the
    # active one. bulk_update skips save(), so no history rows are written for this.
    rows = list(model._default_manager.filter(pk__in=pks).only("pk", name))
    model._default_manager.bulk_update(rows, [name])


def rotate_all(*, batch_size: int = 1000) -> list[RotationCount]:
    """Rotate every encrypted field; returns one count per field."""
    return [rotate_field(m, n, batch_size=batch_size) for m, n in encrypted_fields()]
