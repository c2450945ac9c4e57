"""Keyed hashing and signing with the server secret (never with a bare hash)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
        return hmac.compare_digest(self.sign(data, size=size), signature)
