"""Keyed hashing and signing with the server secret (never with a bare hash)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def same_text(expected: str, given: str) -> bool:
    """Constant-time equality of a secret we hold and text a client sent. ``compare_digest``
    raises TypeError on str with non-ASCII characters; as bytes, whatever a client sends is
    merely a value that does not match."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


class Signer:
    """HMAC-SHA256 under a purpose-specific key derived from the server secret.

    Deriving one key per purpose means a value signed for one use (a cursor) can never be
    replayed as another (a webhook secret, an API key hash).
    """

    def __init__(self, secret: str, purpose: str) -> None:
        self._key = hmac.new(secret.encode(), b"signoff:" + purpose.encode(), "sha256").digest()

    def digest(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def sign(self, data: bytes, *, size: int = 16) -> str:
        return b64url(self.digest(data)[:size])

    def verify(self, data: bytes, signature: str, *, size: int = 16) -> bool:
        return same_text(self.sign(data, size=size), signature)


class SecretBox:
    """AES-256-GCM for secrets at rest (signing keys, webhook secrets).

    The key is derived for one purpose from the configured secret, and the purpose is bound
    as associated data: a value sealed for one purpose cannot be opened as another.
    """

    def __init__(self, secret: str, purpose: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._purpose = purpose.encode()
        key = hmac.new(secret.encode(), b"signoff-secretbox:" + self._purpose, "sha256").digest()
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, self._purpose)

    def open(self, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], self._purpose)


def random_token(nbytes: int = 32) -> str:
    return b64url(os.urandom(nbytes))
