"""Model fields for personal data at rest: encrypted text and its blind index (PRIV-2).

The ORM always sees plaintext; the database only ever holds ``lib.crypto`` tokens.
Ciphertext cannot be compared, so the only lookup an encrypted field allows is
``isnull``; exact lookups go through a BlindIndexField next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Model

from telcrm.lib.crypto import Keyring, blind_index, parse_keyring


def field_keyring() -> Keyring:
    """The keyring configured in ``TELCRM_FIELD_KEYS`` (parsed once per value)."""
    return parse_keyring(settings.TELCRM_FIELD_KEYS)


def blind_index_of(value: str, *, purpose: str) -> str:
    """The blind index of an already normalised value under the configured key."""
    return blind_index(value, key=settings.TELCRM_BLIND_INDEX_KEY, purpose=purpose)


class EncryptedTextField(models.TextField):
    """Text stored as AES-GCM ciphertext; empty strings and NULL are stored as is."""

    description = "Text encrypted at rest (AES-GCM)"

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if not value:
            return value
        return field_keyring().decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return field_keyring().encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} is encrypted: '{lookup_name}' cannot work on ciphertext; "
                "look it up through its blind index"
            )
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of another field's normalised value, kept in step on every save.

    Computed in ``pre_save``, which both ``save()`` and ``bulk_create()`` call; code
    that ``bulk_update()``s the source field must list this field too.
    """

    def __init__(
        self,
        *args: Any,
        source: str = "",
        purpose: str = "",
        normalizer: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.purpose = purpose
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(
            source=self.source, purpose=self.purpose, normalizer=self.normalizer
        )
        return name, path, args, kwargs

    def compute(self, plaintext: str | None) -> str:
        """The index value for ``plaintext`` ("" when there is nothing to index)."""
        if not plaintext:
            return ""
        value = self.normalizer(plaintext) if self.normalizer else plaintext
        return blind_index_of(value, purpose=self.purpose)

    def pre_save(self, model_instance: Model, add: bool) -> str:
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
