"""PRIV-2 in the database: ciphertext at rest, lookup by blind index, key rotation."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from tests.telcrm.factories import CustomerFactory, resident_id

from telcrm.customers.selectors import customer_find_by_id_number
from telcrm.lib.crypto import key_id_of, new_key
from telcrm.lib.identifiers import InvalidIdentifier
from telcrm.parties.models import Individual
from telcrm.parties.services import party_individual_create

pytestmark = pytest.mark.django_db
ID = resident_id(datetime.date(1990, 3, 7), seq=41)  # 41: odd -> male


def _raw_id_column(party_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number FROM parties_individual WHERE party_id = %s", [party_id]
        )
        return str(cursor.fetchone()[0])


def _raw_history_column() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM parties_historicalindividual")
        return [str(row[0]) for row in cursor.fetchall()]


def test_it_stores_no_plaintext_id_in_the_row_or_its_history() -> None:
    party = party_individual_create(name="李雷", id_number=ID)

    raw = _raw_id_column(party.pk)
    assert ID not in raw
    assert ID[-4:] not in raw
    assert raw.startswith("v1:")
    assert all(ID not in token for token in _raw_history_column())
    assert Individual.objects.get(pk=party.pk).id_number == ID


def test_it_derives_birth_date_and_gender_from_the_id() -> None:
    party = party_individual_create(name="李雷", id_number=ID)

    assert party.individual.birth_date == datetime.date(1990, 3, 7)
    assert party.individual.gender == "M"


def test_it_rejects_an_invalid_id_before_writing_anything() -> None:
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")

    with pytest.raises(InvalidIdentifier):
        party_individual_create(name="李雷", id_number=bad)
    assert Individual.objects.count() == 0


def test_it_finds_a_customer_by_id_number_typed_in_any_case_or_spacing() -> None:
    party = party_individual_create(name="李雷", id_number=ID)
    customer = CustomerFactory(party=party)
    CustomerFactory(
        party=party_individual_create(name="韩梅梅", id_number=resident_id())
    )

    typed = f"{ID[:6]} {ID[6:14]} {ID[14:].lower()}"
    assert list(customer_find_by_id_number(typed)) == [customer]


def test_it_refuses_lookups_that_cannot_work_on_ciphertext() -> None:
    with pytest.raises(FieldError, match="blind index"):
        Individual.objects.filter(id_number=ID)


def test_it_rotates_keys_so_the_old_key_can_be_retired() -> None:
    party = party_individual_create(name="李雷", id_number=ID)
    old_ring = str(settings.TELCRM_FIELD_KEYS)
    new_ring = f"k9:{new_key()},{old_ring}"
    out = StringIO()

    with override_settings(TELCRM_FIELD_KEYS=new_ring):
        call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
        assert key_id_of(_raw_id_column(party.pk)) == "k9"
    assert "parties.Individual.id_number: 1 re-encrypted, 0 current" in out.getvalue()

    only_new = new_ring.split(",")[0]
    with override_settings(TELCRM_FIELD_KEYS=only_new):
        assert Individual.objects.get(pk=party.pk).id_number == ID
        assert all(key_id_of(t) == "k9" for t in _raw_history_column())
        second = StringIO()
        call_command("rotate_field_keys", stdout=second)
    assert (
        "parties.Individual.id_number: 0 re-encrypted, 1 current" in second.getvalue()
    )
