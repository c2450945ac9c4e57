"""The server's token-signing keys: Ed25519, identified by ``kid``, rotated.

Two sources:
- **Database** (default): keys are generated here, stored sealed with a key derived from the
  settings, and rotated every ``key_rotation_days`` by a scheduled job (or at once by
  ``signoff admin rotate-keys``). A retired key stops signing at once and
  stays published (and accepted) until every token it signed has expired.
- **Settings/file** (``SIGNOFF_AUTH__SIGNING_KEY`` or ``..._FILE``): one PEM private key, plus
  optional older public keys (``SIGNOFF_AUTH__PREVIOUS_PUBLIC_KEYS``) still accepted.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.models import SigningKey
from signoff.core.config import AuthSettings
from signoff.core.logging import get_logger
from signoff.core.security import SecretBox, b64url, b64url_decode

log = get_logger("signoff.keys")
ALGORITHM = "EdDSA"
# An unknown kid triggers at most one reload per interval: forged kids cannot make every
# request hit the database.
RELOAD_INTERVAL_S = 5.0


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    # RFC 7638 thumbprint: the kid is derived from the key, never chosen.
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest()
    return {**jwk, "kid": b64url(thumbprint), "alg": ALGORITHM, "use": "sig"}


@dataclass
class _Loaded:
    signer: tuple[str, Ed25519PrivateKey] | None
    signer_created_at: datetime | None
    verifiers: dict[str, Ed25519PublicKey]
    published: list[dict[str, str]]
    loaded_at: float


class KeyRing:
    def __init__(self, settings: AuthSettings, secret_key: str) -> None:
        self._settings = settings
        kek = (
            settings.key_encryption_key.get_secret_value()
            if settings.key_encryption_key
            else secret_key
        )
        self._box = SecretBox(kek, "signing-keys")
        self._loaded: _Loaded | None = None
        self._static = settings.signing_key is not None
        # Keys this process made, with when. A load that ran while such a key's transaction
        # was still open did not see it, and would keep refusing tokens signed with it for
        # RELOAD_INTERVAL_S: an unknown kid that is one of these is always worth a reload
        # (an attacker cannot name one, so this is no way around the interval).
        self._made: dict[str, float] = {}

    @property
    def _retention(self) -> timedelta:
        return timedelta(seconds=self._settings.access_token_ttl_s + self._settings.leeway_s)

    async def signer(self, session: AsyncSession, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        loaded = await self._current(session, now)
        if loaded.signer is not None:
            return loaded.signer
        # The very first key is made in the request that first needs it. It is not cached:
        # if that transaction fails, the next request must not sign with a key nobody saved.
        kid, private = await self._create(session, now)
        self._loaded = None
        self._made[kid] = time.monotonic()
        return kid, private

    async def rotate_if_due(self, session: AsyncSession, now: datetime) -> str | None:
        """Rotate when the signing key is older than ``key_rotation_days`` (a scheduled job)."""
        if self._static:
            return None
        loaded = await self._load(session, now)
        due = loaded.signer_created_at is None or now >= loaded.signer_created_at + timedelta(
            days=self._settings.key_rotation_days
        )
        return await self.rotate(session, now) if due else None

    async def verifier(
        self, session: AsyncSession, kid: str, now: datetime
    ) -> Ed25519PublicKey | None:
        loaded = await self._current(session, now)
        key = loaded.verifiers.get(kid)
        if key is None and (
            time.monotonic() - loaded.loaded_at > RELOAD_INTERVAL_S
            or self._made.get(kid, -1.0) >= loaded.loaded_at - RELOAD_INTERVAL_S
        ):
            key = (await self._load(session, now)).verifiers.get(kid)
        return key

    async def jwks(self, session: AsyncSession, now: datetime) -> dict[str, Any]:
        loaded = await self._current(session, now)
        return {"keys": loaded.published}

    async def rotate(self, session: AsyncSession, now: datetime) -> str:
        """Start signing with a new key now (``signoff admin rotate-keys``)."""
        if self._static:
            raise RuntimeError("signing keys come from settings: rotate by deploying a new key")
        for row in await session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
            row.retired_at = now
        kid, _ = await self._create(session, now)
        self._loaded = None
        self._made[kid] = time.monotonic()
        return kid

    async def _current(self, session: AsyncSession, now: datetime) -> _Loaded:
        if self._loaded is None or time.monotonic() - self._loaded.loaded_at > 60:
            return await self._load(session, now)
        return self._loaded

    async def _load(self, session: AsyncSession, now: datetime) -> _Loaded:
        self._loaded = self._from_settings() if self._static else await self._from_db(session, now)
        return self._loaded

    def _from_settings(self) -> _Loaded:
        assert self._settings.signing_key is not None
        private = serialization.load_pem_private_key(
            self._settings.signing_key.get_secret_value().encode(), password=None
        )
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("SIGNOFF_AUTH__SIGNING_KEY must be an Ed25519 private key (PEM)")
        keys = [private.public_key(), *_pem_public_keys(self._settings.previous_public_keys)]
        published = [public_jwk(k) for k in keys]
        verifiers = {jwk["kid"]: k for jwk, k in zip(published, keys, strict=True)}
        signer = (published[0]["kid"], private)
        return _Loaded(signer, None, verifiers, published, time.monotonic())

    async def _from_db(self, session: AsyncSession, now: datetime) -> _Loaded:
        rows = (
            await session.scalars(
                select(SigningKey)
                .where(
                    or_(
                        SigningKey.retired_at.is_(None),
                        SigningKey.retired_at > now - self._retention,
                    )
                )
                .order_by(SigningKey.created_at.desc())
            )
        ).all()
        # Verification needs only the public key, stored in clear: tokens stay verifiable
        # even if the key that seals private keys has changed.
        verifiers = {row.kid: _public_key(row.public_jwk) for row in rows}
        signer: tuple[str, Ed25519PrivateKey] | None = None
        signer_created: datetime | None = None
        for row in rows:
            if row.retired_at is not None:
                continue
            private = self._open(row)
            if private is not None:
                signer, signer_created = (row.kid, private), row.created_at
                break
        published = [dict(row.public_jwk) for row in rows]
        return _Loaded(signer, signer_created, verifiers, published, time.monotonic())

    def _open(self, row: SigningKey) -> Ed25519PrivateKey | None:
        try:
            return Ed25519PrivateKey.from_private_bytes(self._box.open(row.private_key))
        except InvalidTag:
            # Sealed under another key (SIGNOFF_SECRET_KEY changed without a separate
            # SIGNOFF_AUTH__KEY_ENCRYPTION_KEY): unusable for signing; a new key is made.
            log.error("signing_key.unreadable", kid=row.kid)
            return None

    async def _create(self, session: AsyncSession, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        private = Ed25519PrivateKey.generate()
        jwk = public_jwk(private.public_key())
        raw = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        session.add(
            SigningKey(
                kid=jwk["kid"],
                algorithm=ALGORITHM,
                private_key=self._box.seal(raw),
                public_jwk=jwk,
                created_at=now,
            )
        )
        await session.flush()
        return jwk["kid"], private


def _public_key(jwk: dict[str, str]) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))


def _pem_public_keys(bundle: str | None) -> list[Ed25519PublicKey]:
    if not bundle:
        return []
    keys = []
    marker = "-----END PUBLIC KEY-----"
    for block in bundle.split(marker):
        if "-----BEGIN PUBLIC KEY-----" not in block:
            continue
        key = serialization.load_pem_public_key((block.strip() + "\n" + marker + "\n").encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("SIGNOFF_AUTH__PREVIOUS_PUBLIC_KEYS must hold Ed25519 public keys")
        keys.append(key)
    return keys
