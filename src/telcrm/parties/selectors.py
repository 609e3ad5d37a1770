"""Reads of the parties app."""

from __future__ import annotations

from django.db.models import QuerySet

from telcrm.core.fields import blind_index_of
from telcrm.lib.identifiers import resident_id_compact
from telcrm.parties.models import RESIDENT_ID_PURPOSE, Individual


def resident_id_index(id_number: str) -> str:
    """The blind index a resident ID number is stored and looked up under."""
    return blind_index_of(resident_id_compact(id_number), purpose=RESIDENT_ID_PURPOSE)


def individual_find_by_id_number(id_number: str) -> QuerySet[Individual]:
    """Individuals holding this resident ID number (exact match, via the index)."""
    return Individual.objects.filter(id_number_index=resident_id_index(id_number))
