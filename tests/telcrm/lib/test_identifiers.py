"""VAL-1: resident ID numbers and USCCs are validated by their check digits."""

from __future__ import annotations

import datetime
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from telcrm.lib.identifiers import (
    InvalidIdentifier,
    resident_id_compact,
    resident_id_facts,
    resident_id_normalize,
    uscc_normalize,
)

ID_CHARS = string.digits + "X"


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    # stdnum also checks that the region code existed in the birth year.
    region = draw(st.sampled_from(["110105", "310101", "330106", "440305", "330102"]))
    birth = draw(st.dates(datetime.date(1992, 1, 1), datetime.date(2010, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = body + str(ric.calc_check_digit(body + "0"))
    assume(ric.is_valid(number))
    return number


def _rejected(value: str) -> bool:
    try:
        resident_id_normalize(value)
    except InvalidIdentifier:
        return True
    return False


@settings(max_examples=1000, deadline=None)
@given(resident_ids())
def test_it_accepts_valid_ids_and_rejects_every_single_character_mutation(
    number: str,
) -> None:
    assert resident_id_normalize(number) == number
    for pos, original in enumerate(number):
        for replacement in ID_CHARS.replace(original, ""):
            mutated = number[:pos] + replacement + number[pos + 1 :]
            assert _rejected(mutated), mutated


@settings(max_examples=1000, deadline=None)
@given(resident_ids())
def test_it_rejects_every_adjacent_transposition(number: str) -> None:
    for pos in range(17):
        if number[pos] != number[pos + 1]:
            swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
            assert _rejected(swapped), swapped


def test_it_normalises_spaces_and_lowercase_check_character() -> None:
    assert resident_id_normalize("110105 19491231 002x") == "11010519491231002X"


def test_it_returns_birth_date_and_gender_from_the_id() -> None:
    facts = resident_id_facts("11010519491231002X")

    assert facts.birth_date == datetime.date(1949, 12, 31)
    assert facts.gender == "F"  # sequence 002: even
    assert resident_id_facts("110105194912310011").gender == "M"


def test_it_rejects_a_15_digit_id() -> None:
    with pytest.raises(InvalidIdentifier):
        resident_id_normalize("110105491231002")


def test_it_rejects_an_impossible_birth_date() -> None:
    body = "11010519490231002"  # 31 February
    with pytest.raises(InvalidIdentifier):
        resident_id_normalize(body + "0")


def test_it_compacts_without_validating() -> None:
    assert resident_id_compact(" 11010519491231002x ") == "11010519491231002X"


def test_it_accepts_a_valid_uscc_and_rejects_a_mutated_one() -> None:
    assert uscc_normalize("91110000600037341L") == "91110000600037341L"
    with pytest.raises(InvalidIdentifier):
        uscc_normalize("91110000600037341M")
