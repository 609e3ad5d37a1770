"""Helpers for the apps' choices (``models.TextChoices``)."""

from __future__ import annotations

from django.db import models


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """``value``'s label in the active language, or the value itself when it is not
    one of ``choices`` (a code from a source system or an older pipeline run)."""
    return str(dict(choices.choices).get(value, value))
