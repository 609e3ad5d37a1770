"""PRIV-2: AES-GCM with a keyring, and the blind index."""

from __future__ import annotations

import base64

import pytest

from telcrm.lib.crypto import (
    DecryptionError,
    KeyringError,
    blind_index,
    key_id_of,
    new_key,
    parse_keyring,
)

OLD = f"k1:{new_key()}"
NEW = f"k2:{new_key()}"


def test_it_round_trips_and_records_the_key_id() -> None:
    ring = parse_keyring(OLD)
    token = ring.encrypt("11010519491231002X")

    assert "11010519491231002X" not in token
    assert key_id_of(token) == "k1"
    assert ring.decrypt(token) == "11010519491231002X"


def test_it_uses_a_fresh_nonce_each_time() -> None:
    ring = parse_keyring(OLD)
    assert ring.encrypt("same") != ring.encrypt("same")


def test_it_decrypts_old_tokens_after_a_new_key_becomes_active() -> None:
    token = parse_keyring(OLD).encrypt("secret")
    rotated = parse_keyring(f"{NEW},{OLD}")

    assert rotated.active == "k2"
    assert rotated.decrypt(token) == "secret"
    assert rotated.needs_rotation(token) is True


def test_it_rejects_a_tampered_ciphertext() -> None:
    ring = parse_keyring(OLD)
    prefix, kid, body = ring.encrypt("secret").split(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 0x01
    tampered = f"{prefix}:{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    with pytest.raises(DecryptionError, match="authentication"):
        ring.decrypt(tampered)


def test_it_rejects_a_token_relabelled_with_another_key_id() -> None:
    ring = parse_keyring(f"{NEW},{OLD}")
    token = ring.encrypt("secret").replace("v1:k2:", "v1:k1:")

    with pytest.raises(DecryptionError):
        ring.decrypt(token)


def test_it_refuses_a_token_whose_key_was_retired() -> None:
    token = parse_keyring(OLD).encrypt("secret")

    with pytest.raises(DecryptionError, match="no key 'k1'"):
        parse_keyring(NEW).decrypt(token)


def test_it_rejects_a_malformed_keyring() -> None:
    with pytest.raises(KeyringError):
        parse_keyring("k1:" + base64.b64encode(b"short").decode())


def test_blind_index_is_deterministic_keyed_and_purpose_separated() -> None:
    digest = blind_index("X", key="a", purpose="resident_id")

    assert digest == blind_index("X", key="a", purpose="resident_id")
    assert digest != blind_index("X", key="b", purpose="resident_id")
    assert digest != blind_index("X", key="a", purpose="bank_account")
    assert len(digest) == 64
