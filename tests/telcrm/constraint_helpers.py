"""Asserting that the database itself refuses a row, and that nothing was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction


def assert_db_rejects(
    model: type[models.Model], create: Callable[[], Any], constraint: str = ""
) -> None:
    """``create()`` fails with IntegrityError (naming ``constraint`` when the backend
    reports names) and leaves ``model``'s row count unchanged."""
    before = model._default_manager.count()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    message = str(excinfo.value)
    # SQLite names CHECK constraints, not partial unique indexes; PostgreSQL both.
    if constraint and ("CHECK" in message or "violates" in message):
        assert constraint in message
    assert model._default_manager.count() == before
