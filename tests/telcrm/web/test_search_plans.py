"""Every way of finding a customer is an indexed lookup: no full scan of a table.

A million customers must be found in well under a second, which only holds while each
search key reaches its rows through an index. SQLite's plan does not depend on the
data's size here (no ANALYZE statistics), so a handful of rows shows the plan a
million would get; PostgreSQL's planner rightly scans tables this small, so the check
runs on SQLite.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.db import connection
from tests.telcrm.factories import UserFactory

from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.customer360.selectors import search_keys
from telcrm.web.scope import visible_customers

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="plans are checked on SQLite (PostgreSQL scans tables this small)",
    ),
]

# One text per kind of key: customer or account number, phone, ID number, name.
SEARCHES = {
    "number": "C000000001",
    "phone": "139 1234 5678",
    "id_number": "11010519491231002X",
    "name": "欧阳",
}


def plan_of(sql: str, params: tuple[Any, ...]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in cursor.fetchall()]


def unindexed(plan: list[str]) -> list[str]:
    """The steps that read a table whole: a SCAN, or a search driven only by the
    scope's ``merged_into IS NULL``, which nearly every customer matches (with the
    primary key as well, ``(merged_into_id=? AND rowid=?)``, it is a point lookup)."""
    return [
        step
        for step in plan
        if step.startswith("SCAN")
        or ("customers_customer_merged_into_id" in step and "rowid=?" not in step)
    ]


@pytest.mark.parametrize("kind", sorted(SEARCHES))
@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER])
def test_each_search_key_is_an_indexed_lookup(kind: str, role: str) -> None:
    user = cast(User, UserFactory(role=role))
    scope = visible_customers(user)

    for key in search_keys(SEARCHES[kind]):
        query = scope.filter(key).order_by().values_list("pk", flat=True)[:20]
        sql, params = query.query.sql_with_params()
        plan = plan_of(sql, params)

        assert unindexed(plan) == [], (kind, role, plan)


def test_the_check_sees_a_full_scan_when_there_is_one() -> None:
    """A "contains" search has no index to use: the plan must show the scan."""
    user = cast(User, UserFactory(role=Role.AGENT))
    query = visible_customers(user).filter(party__name__contains="明").values("pk")
    sql, params = query.query.sql_with_params()

    assert unindexed(plan_of(sql, params)) != []
