"""PRIV-1 masks."""

from __future__ import annotations

from telcrm.lib.masking import mask_id_number, mask_phone


def test_it_masks_a_mobile_keeping_three_and_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "138****5678"


def test_it_masks_a_fixed_line() -> None:
    assert mask_phone("+8657187654321") == "571****4321"


def test_it_keeps_only_the_last_four_id_characters() -> None:
    assert mask_id_number("11010519491231002X") == "**************002X"


def test_it_masks_empty_values_to_empty() -> None:
    assert mask_phone("") == ""
    assert mask_id_number("") == ""
