"""Encryption of personal data at rest and blind indexes for exact lookup (PRIV-2).

Ciphertext format (ASCII text): ``v1:<kid>:<base64url(nonce || ct)>``.
The key id travels with the ciphertext, so after a rotation rows written under an old
key still decrypt until ``rotate_field_keys`` has re-encrypted them; then the old key
can be removed from ``TELCRM_FIELD_KEYS``. AES-GCM authenticates: any change to the
token (or a wrong key) makes decryption fail instead of returning garbage.

A blind index is HMAC-SHA256 over the *normalised* value with a separate key: equal
values give equal digests (exact lookup); a digest reveals nothing without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = "v1"
NONCE_BYTES = 12  # the size AES-GCM is specified for; random per encryption


class DecryptionError(ValueError):
    """The token is malformed, was tampered with, or its key is not in the keyring."""


class KeyringError(ValueError):
    """The keyring specification is malformed."""


@dataclass(frozen=True)
class Keyring:
    """Named AES-256 keys; ``active`` encrypts, every key decrypts."""

    active: str
    keys: dict[str, bytes]

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(
            nonce, plaintext.encode("utf-8"), _aad(self.active)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT_VERSION}:{self.active}:{body}"

    def decrypt(self, token: str) -> str:
        kid, raw = _split_token(token)
        key = self.keys.get(kid)
        if key is None:
            raise DecryptionError(f"no key {kid!r} in the keyring (retired too early?)")
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid))
        except InvalidTag as exc:
            raise DecryptionError("ciphertext failed authentication") from exc
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was sealed under a key other than the active one."""
        return key_id_of(token) != self.active


def _aad(kid: str) -> bytes:
    # Binding the key id and format into the tag stops a token being relabelled.
    return f"telcrm:{FORMAT_VERSION}:{kid}".encode("ascii")


def _split_token(token: str) -> tuple[str, bytes]:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != FORMAT_VERSION:
        raise DecryptionError("not a telcrm ciphertext")
    try:
        raw = base64.urlsafe_b64decode(parts[2].encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("ciphertext is not valid base64") from exc
    if len(raw) <= NONCE_BYTES:
        raise DecryptionError("ciphertext is truncated")
    return parts[1], raw


def key_id_of(token: str) -> str:
    """The id of the key a token was encrypted with."""
    return _split_token(token)[0]


def is_ciphertext(value: str) -> bool:
    """True when ``value`` has the ciphertext shape (it may still fail to decrypt)."""
    try:
        _split_token(value)
    except DecryptionError:
        return False
    return True


@lru_cache(maxsize=8)
def parse_keyring(spec: str) -> Keyring:
    """Parse ``"kid:base64key[,kid:base64key...]"``; the first key is the active one."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in spec.split(",")):
        kid, sep, encoded = item.partition(":")
        if not sep or not kid or kid in keys:
            raise KeyringError("each key must be 'kid:base64key' with a unique kid")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise KeyringError(f"key {kid!r} must be 32 bytes (AES-256)")
        keys[kid] = key
    return Keyring(active=next(iter(keys)), keys=keys)


def blind_index(value: str, *, key: str, purpose: str) -> str:
    """Hex HMAC-SHA256 of an already normalised value, separated by ``purpose``."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def new_key() -> str:
    """A fresh base64 AES-256 key for a keyring entry."""
    return base64.b64encode(os.urandom(32)).decode("ascii")
