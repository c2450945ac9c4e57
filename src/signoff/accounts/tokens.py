"""Access tokens (short-lived JWTs, RFC 9068 profile) and refresh tokens (opaque, rotated).

Validation follows RFC 8725: the algorithm is pinned (EdDSA; ``none`` and everything else
refused), ``kid`` must name one of our keys, ``iss``/``aud``/``exp``/``iat``/``sub``/``jti``
are required, and the leeway is at most 60 s.

A refresh token is used once. Using it again means it was stolen (or replayed): the whole
family, every token descended from the same login, is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.errors import InvalidGrant, InvalidToken
from signoff.accounts.keys import ALGORITHM, KeyRing
from signoff.accounts.models import RefreshToken
from signoff.core.config import AuthSettings
from signoff.core.principal import Principal, PrincipalKind
from signoff.core.revocation import RevocationList
from signoff.core.security import Signer, random_token
from signoff.core.types import new_id

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068's typ, not a secret
REFRESH_PREFIX = "rt_"
_KINDS: tuple[PrincipalKind, ...] = ("user", "service_account")


class RefreshTokenReused(InvalidGrant):
    title = "This refresh token was already used; its whole family has been revoked"
    keep_changes = True  # the revocation must stick although the request is refused


@dataclass(frozen=True)
class IssuedAccess:
    token: str
    expires_in: int
    scopes: frozenset[str]


@dataclass(frozen=True)
class RefreshGrant:
    user_id: uuid.UUID
    scopes: frozenset[str]
    token: str
    family_id: uuid.UUID


@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    family_id: uuid.UUID


class AccessTokens:
    def __init__(self, settings: AuthSettings, keys: KeyRing, issuer: str) -> None:
        self._settings = settings
        self._keys = keys
        self.issuer = issuer

    async def issue(
        self,
        session: AsyncSession,
        now: datetime,
        *,
        kind: PrincipalKind,
        subject: uuid.UUID,
        scopes: frozenset[str],
        org_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
    ) -> IssuedAccess:
        kid, key = await self._keys.signer(session, now)
        ttl = self._settings.access_token_ttl_s
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self._settings.audience,
            "sub": str(subject),
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + ttl,
            "jti": str(new_id()),
            "kind": kind,
            "scope": " ".join(sorted(scopes)),
        }
        if org_id is not None:
            claims["org"] = str(org_id)
        if session_id is not None:
            claims["sid"] = str(session_id)
        token = jwt.encode(
            claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": ACCESS_TOKEN_TYPE}
        )
        return IssuedAccess(token, ttl, scopes)

    async def verify(self, session: AsyncSession, token: str, now: datetime) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("The token is not a well-formed JWT.") from exc
        if header.get("alg") != ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("The token is not a Signoff access token.")
        key = await self._keys.verifier(session, str(header.get("kid", "")), now)
        if key is None:
            raise InvalidToken("The token was signed by a key this server does not know.")
        claims = self._decode(token, key)
        kind = claims.get("kind")
        if kind not in _KINDS:
            raise InvalidToken("The token names no known kind of caller.")
        try:
            subject = uuid.UUID(claims["sub"])
            org = uuid.UUID(claims["org"]) if "org" in claims else None
        except (ValueError, TypeError) as exc:
            raise InvalidToken("The token's subject is malformed.") from exc
        return Principal(
            kind=kind,
            id=subject,
            scopes=frozenset(str(claims.get("scope", "")).split()),
            org_id=org,
            user_id=subject if kind == "user" else None,
            token_id=str(claims["jti"]),
            session_id=str(claims["sid"]) if "sid" in claims else None,
        )

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._settings.audience,
                issuer=self.issuer,
                leeway=self._settings.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"The access token is not valid: {exc}.") from exc
        return claims


class RefreshTokens:
    def __init__(
        self, settings: AuthSettings, secret_key: str, revocations: RevocationList
    ) -> None:
        self._settings = settings
        self._hasher = Signer(secret_key, "refresh-token")
        self.revocations = revocations

    def _hash(self, token: str) -> str:
        return self._hasher.digest(token.encode()).hex()

    def issue(
        self,
        session: AsyncSession,
        now: datetime,
        *,
        user_id: uuid.UUID,
        scopes: frozenset[str],
        family: tuple[uuid.UUID, datetime] | None = None,
    ) -> IssuedRefresh:
        token = REFRESH_PREFIX + random_token()
        family_id, family_expires = family or (
            new_id(),
            now + timedelta(seconds=self._settings.refresh_family_max_s),
        )
        expires = min(now + timedelta(seconds=self._settings.refresh_token_ttl_s), family_expires)
        session.add(
            RefreshToken(
                family_id=family_id,
                user_id=user_id,
                token_hash=self._hash(token),
                scopes=sorted(scopes),
                created_at=now,
                expires_at=expires,
                family_expires_at=family_expires,
            )
        )
        return IssuedRefresh(token, family_id)

    async def rotate(self, session: AsyncSession, token: str, now: datetime) -> RefreshGrant:
        """Spend ``token`` and return its successor, or refuse (revoking on reuse)."""
        row = await self._find(session, token)
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise InvalidGrant("The refresh token is not valid.")
        # Spend it atomically: of two concurrent uses, exactly one sees used_at still empty.
        spent = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            await self.revoke_family(session, row.family_id, now)
            raise RefreshTokenReused()
        successor = self.issue(
            session,
            now,
            user_id=row.user_id,
            scopes=frozenset(row.scopes),
            family=(row.family_id, row.family_expires_at),
        )
        return RefreshGrant(row.user_id, frozenset(row.scopes), successor.token, row.family_id)

    async def revoke(self, session: AsyncSession, token: str, now: datetime) -> uuid.UUID | None:
        """Revoke the token's family (RFC 7009); the owner's id, or None if unknown."""
        row = await self._find(session, token)
        if row is None:
            return None
        await self.revoke_family(session, row.family_id, now)
        return row.user_id

    async def revoke_family(
        self, session: AsyncSession, family_id: uuid.UUID, now: datetime
    ) -> None:
        """End a sign-in session: its refresh tokens now, its access tokens on the next
        request (the revocation list; they would otherwise live until they expire)."""
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await self.revocations.revoke(str(family_id), now=now.timestamp())

    async def recently_revoked(self, session: AsyncSession, since: float) -> list[str]:
        """Families revoked since ``since`` (epoch seconds): what the list must hold."""
        rows = await session.scalars(
            select(RefreshToken.family_id)
            .where(RefreshToken.revoked_at >= datetime.fromtimestamp(since, UTC))
            .distinct()
        )
        return [str(family) for family in rows]

    async def family_of(self, session: AsyncSession, token: str) -> uuid.UUID | None:
        row = await self._find(session, token)
        return row.family_id if row else None

    async def _find(self, session: AsyncSession, token: str) -> RefreshToken | None:
        if not token.startswith(REFRESH_PREFIX):
            return None
        return await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == self._hash(token))
        )
