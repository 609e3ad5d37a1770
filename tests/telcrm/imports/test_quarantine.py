"""Staff fix, discard and re-submit quarantined rows, in the services and the admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from tests.telcrm.imports.test_import import corrupt, stored_cdrs
from tests.telcrm.silo_files import rewrite

from telcrm.customers.models import Consent, Customer
from telcrm.imports.choices import QuarantineState, RunState
from telcrm.imports.models import ImportRun, QuarantinedRow
from telcrm.imports.quarantine import (
    quarantined_row_fix,
    quarantined_rows_discard,
    quarantined_rows_resubmit,
)
from telcrm.imports.services import import_directory
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator() -> User:
    return User.objects.create_user(
        username="steward",
        password="pw-steward-1",
        role=Role.ADMINISTRATOR,
        is_staff=True,
    )


def valid_since(row: QuarantinedRow) -> str:
    """A customer_since the database accepts: not after the last status change."""
    return str(row.row["status_date"] or "2024-02-28")


@pytest.fixture
def held(silos: Path) -> dict[str, QuarantinedRow]:
    corrupt(silos)
    import_directory(silos)
    return {
        "customer": QuarantinedRow.objects.get(kind="customers"),
        "cdr_negative": QuarantinedRow.objects.get(kind="cdr", field="duration_s"),
        "cdr_malformed": QuarantinedRow.objects.get(kind="cdr", field="(line)"),
    }


def test_a_fixed_row_re_submitted_loads_and_leaves_the_quarantine(
    held: dict[str, QuarantinedRow], administrator: User
) -> None:
    row = held["customer"]
    number = row.row["cust_no"]
    assert not Customer.objects.filter(customer_number=number).exists()

    since = valid_since(row)
    quarantined_row_fix(row=row, values={**row.row, "customer_since": since})
    outcome = quarantined_rows_resubmit(rows=[row], user=administrator)

    row.refresh_from_db()
    assert (outcome.loaded, outcome.still_quarantined) == (1, 0)
    assert (row.state, row.resolved_by) == (QuarantineState.LOADED, administrator)
    customer = Customer.objects.get(customer_number=number)
    assert str(customer.customer_since) == since
    run = ImportRun.objects.latest("started_at")
    assert (run.state, run.user, run.message) == (
        RunState.COMPLETED, administrator, "1 loaded, 0 still quarantined",
    )  # fmt: skip


def test_a_row_still_broken_stays_with_its_new_reason(
    held: dict[str, QuarantinedRow], administrator: User
) -> None:
    row = held["customer"]
    fixed = {**row.row, "customer_since": valid_since(row), "channel": "pigeon"}
    quarantined_row_fix(row=row, values=fixed)

    outcome = quarantined_rows_resubmit(rows=[row], user=administrator)

    row.refresh_from_db()
    assert (outcome.loaded, outcome.still_quarantined) == (0, 1)
    assert (row.state, row.field) == (QuarantineState.OPEN, "channel")
    assert row.reason.startswith("'pigeon' is not one of business_hall")


def test_fixed_cdrs_go_to_the_store_and_discarded_rows_are_kept(
    held: dict[str, QuarantinedRow], administrator: User, private_home: Path
) -> None:
    store = private_home / "store"
    before = stored_cdrs(store)
    negative = held["cdr_negative"]
    quarantined_row_fix(row=negative, values={**negative.row, "duration_s": "5"})

    outcome = quarantined_rows_resubmit(rows=[negative], user=administrator)
    discarded = quarantined_rows_discard(
        rows=[held["cdr_malformed"]], user=administrator
    )

    assert (outcome.loaded, outcome.still_quarantined, discarded) == (1, 0, 1)
    assert stored_cdrs(store) == before + 1
    states = dict(QuarantinedRow.objects.filter(kind="cdr").values_list("id", "state"))
    assert states[negative.pk] == QuarantineState.LOADED
    assert states[held["cdr_malformed"].pk] == QuarantineState.DISCARDED
    assert QuarantinedRow.objects.filter(kind="cdr").count() == 3  # nothing deleted


def test_the_admin_shows_the_quarantine_and_re_submits_a_fixed_row(
    held: dict[str, QuarantinedRow], administrator: User, client: Client
) -> None:
    client.force_login(administrator)
    row = held["customer"]
    url = f"/admin/imports/quarantinedrow/{row.pk}/change/"

    listing = client.get("/admin/imports/quarantinedrow/?state__exact=open")
    form = client.get(url)
    posted = client.post(
        url,
        {
            **{f"value__{key}": value for key, value in row.row.items()},
            "value__customer_since": valid_since(row),
            "_resubmit": "Save and re-submit",
        },
    )

    assert listing.status_code == 200
    assert "is not a date (YYYY-MM-DD)" in listing.content.decode()
    assert form.status_code == 200
    assert 'name="value__customer_since" value="2024-02-30"' in form.content.decode()
    assert posted.status_code == 302
    row.refresh_from_db()
    assert row.state == QuarantineState.LOADED
    assert Customer.objects.filter(customer_number=row.row["cust_no"]).exists()


def test_consents_held_for_a_held_customer_load_with_it_when_re_submitted(
    silos: Path, administrator: User
) -> None:
    rewrite(silos / "crm/customers.csv", {1: {"customer_since": "2026-13-01"}})
    import_directory(silos)
    customer = QuarantinedRow.objects.get(kind="customers")
    consents = list(QuarantinedRow.objects.filter(kind="consents").order_by("line"))
    assert [(row.line, row.field, row.reason) for row in consents] == [
        (line, "cust_no", "unknown customer 'C100000002'") for line in (2, 3, 4)
    ]

    quarantined_row_fix(
        row=customer, values={**customer.row, "customer_since": valid_since(customer)}
    )
    outcome = quarantined_rows_resubmit(rows=[*consents, customer], user=administrator)

    assert (outcome.loaded, outcome.still_quarantined) == (4, 0)
    held = Consent.objects.filter(customer__customer_number="C100000002")
    assert sorted(held.values_list("channel", "status")) == [
        ("any", "granted"), ("phone_call", "withdrawn"), ("sms", "granted"),
    ]  # fmt: skip


def test_an_agent_cannot_see_the_quarantine(client: Client) -> None:
    agent = User.objects.create_user(
        username="agent", password="pw-agent-1", role=Role.AGENT, is_staff=True
    )
    client.force_login(agent)

    assert client.get("/admin/imports/quarantinedrow/").status_code == 403
