"""Shared fixtures: real SQLite, and PostgreSQL where DATABASE_URL points at one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.utils import translation

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL "
        "(.ci/run does when 127.0.0.1:5432 answers)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Messages built outside a request (service errors, constraint messages, import
    reasons) come in English, the language the tests' expectations are written in.
    Pages still choose their language per request (the browser's, or the user's)."""
    with translation.override("en"):
        yield
