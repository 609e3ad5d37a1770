"""VAL-1: phone numbers normalise to E.164, idempotently."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telcrm.lib.phones import InvalidPhoneNumber, phone_normalize

MOBILE_PREFIXES = ["134", "138", "139", "150", "158", "186", "188", "135", "177"]


@st.composite
def mobile_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(MOBILE_PREFIXES))
    return prefix + draw(st.text("0123456789", min_size=8, max_size=8))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("0571-87654321", "+8657187654321"),
        ("010 6552 9988", "+861065529988"),
    ],
)
def test_it_normalises_the_forms_people_type(typed: str, expected: str) -> None:
    assert phone_normalize(typed) == expected


@settings(max_examples=1000, deadline=None)
@given(mobile_numbers(), st.sampled_from(["{}", "+86{}", "+86 {}", "{0:.3} {1}"]))
def test_it_is_idempotent(number: str, form: str) -> None:
    typed = (
        f"{number[:3]} {number[3:7]} {number[7:]}"
        if form == "{0:.3} {1}"
        else form.format(number)
    )
    once = phone_normalize(typed)

    assert once == f"+86{number}"
    assert phone_normalize(once) == once


@pytest.mark.parametrize("bad", ["", "hello", "123", "1380013800", "+86 999"])
def test_it_rejects_invalid_numbers_with_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="phone number"):
        phone_normalize(bad)
