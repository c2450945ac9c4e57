"""API keys and service accounts: secrets shown once, stored as keyed hashes."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select

from signoff.accounts.errors import (
    CredentialNotFound,
    InvalidClient,
    InvalidExpiry,
    InvalidScope,
    InvalidToken,
)
from signoff.accounts.events import CredentialChanged
from signoff.accounts.models import ApiKey, ServiceAccount
from signoff.accounts.repository import AccountRepository
from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import CursorCodec, PageRequest, keyset_page
from signoff.core.permissions import ALL_SCOPES
from signoff.core.principal import Principal
from signoff.core.security import Signer, random_token, same_text

API_KEY_PREFIX = "so_"
# "so_" and 8 hex digits: fixed length, so the prefix is found by position, never by a
# separator that the random secret could contain.
_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
CLIENT_ID_PREFIX = "sa_"
# last_used_at is a hint for people, not a counter: one write a minute per credential.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSecret:
    credential: ApiKey | ServiceAccount
    secret: str


def checked_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise InvalidScope(f"Unknown scopes: {', '.join(unknown)}.")
    if not scopes:
        raise InvalidScope("Give at least one scope.")
    return sorted(set(scopes))


class CredentialService:
    def __init__(
        self,
        repo: AccountRepository,
        events: EventRecorder,
        clock: Clock,
        secret: str,
        cursors: CursorCodec,
    ) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock
        self._hasher = Signer(secret, "machine-credential")
        self._cursors = cursors

    def _hash(self, secret: str) -> str:
        return self._hasher.digest(secret.encode()).hex()

    async def create_api_key(
        self,
        org_id: uuid.UUID,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
        created_by: uuid.UUID | None,
    ) -> IssuedSecret:
        if expires_at is not None and expires_at <= self._clock.now():
            raise InvalidExpiry(
                "A key that has already expired would be useless.",
                errors=[{"pointer": "/expires_at", "detail": "must be in the future"}],
            )
        prefix = API_KEY_PREFIX + secrets.token_hex(4)
        token = f"{prefix}_{random_token()}"
        key = ApiKey(
            org_id=org_id,
            name=name,
            prefix=prefix,
            secret_hash=self._hash(token),
            scopes=checked_scopes(scopes),
            created_by=created_by,
            created_at=self._clock.now(),
            expires_at=expires_at,
        )
        await self._repo.add(key)
        await self._record("created", key)
        return IssuedSecret(key, token)

    async def api_keys(
        self, org_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[ApiKey], str | None]:
        stmt = select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.revoked_at.is_(None))
        rows, cursor = await keyset_page(
            self._repo.session, stmt, [ApiKey.id], page, self._cursors, scope=f"api-keys:{org_id}"
        )
        return [r[0] for r in rows], cursor

    async def revoke_api_key(self, org_id: uuid.UUID, key_id: uuid.UUID) -> None:
        key = await self._repo.api_key(org_id, key_id)
        if key is None or key.revoked_at is not None:
            raise CredentialNotFound()
        key.revoked_at = self._clock.now()
        await self._record("revoked", key)

    async def create_service_account(
        self, org_id: uuid.UUID, name: str, scopes: list[str], created_by: uuid.UUID | None
    ) -> IssuedSecret:
        secret = random_token()
        account = ServiceAccount(
            org_id=org_id,
            name=name,
            client_id=CLIENT_ID_PREFIX + random_token(12),
            secret_hash=self._hash(secret),
            scopes=checked_scopes(scopes),
            created_by=created_by,
            created_at=self._clock.now(),
        )
        await self._repo.add(account)
        await self._record("created", account)
        return IssuedSecret(account, secret)

    async def service_accounts(
        self, org_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[ServiceAccount], str | None]:
        stmt = select(ServiceAccount).where(
            ServiceAccount.org_id == org_id, ServiceAccount.revoked_at.is_(None)
        )
        rows, cursor = await keyset_page(
            self._repo.session,
            stmt,
            [ServiceAccount.id],
            page,
            self._cursors,
            scope=f"service-accounts:{org_id}",
        )
        return [r[0] for r in rows], cursor

    async def revoke_service_account(self, org_id: uuid.UUID, account_id: uuid.UUID) -> None:
        account = await self._repo.service_account(org_id, account_id)
        if account is None or account.revoked_at is not None:
            raise CredentialNotFound()
        account.revoked_at = self._clock.now()
        await self._record("revoked", account)

    async def _record(
        self, change: Literal["created", "revoked"], row: ApiKey | ServiceAccount
    ) -> None:
        key = isinstance(row, ApiKey)
        await self._events.emit(
            CredentialChanged(
                org_id=row.org_id,
                subject=f"{'api-keys' if key else 'service-accounts'}/{row.id}",
                credential="api_key" if key else "service_account",
                change=change,
                credential_id=row.id,
                name=row.name,
                scopes=row.scopes,
            )
        )

    async def authenticate_api_key(self, token: str) -> tuple[Principal, bool, datetime | None]:
        """The key's principal, whether its last use is worth recording now, and when the
        key expires."""
        prefix = token[:_PREFIX_LENGTH]
        key = await self._repo.api_key_by_prefix(prefix) if len(token) > _PREFIX_LENGTH else None
        now = self._clock.now()
        if key is None or not same_text(key.secret_hash, self._hash(token)):
            raise InvalidToken(
                f"The token was taken for an API key, as it starts with '{API_KEY_PREFIX}'; "
                "it is not a valid key."
            )
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            raise InvalidToken("The API key was revoked or has expired.")
        principal = Principal(
            kind="api_key", id=key.id, scopes=frozenset(key.scopes), org_id=key.org_id
        )
        stale = key.last_used_at is None or now - key.last_used_at > TOUCH_INTERVAL
        return principal, stale, key.expires_at

    async def touch_api_key(self, key_id: uuid.UUID) -> None:
        await self._repo.touch(ApiKey, key_id, self._clock.now())

    async def authenticate_client(self, client_id: str, secret: str) -> ServiceAccount:
        account = await self._repo.service_account_by_client_id(client_id)
        # Hash even when the client is unknown: the answer must not reveal which ids exist.
        digest = self._hash(secret)
        if account is None or not same_text(account.secret_hash, digest):
            raise InvalidClient()
        if account.revoked_at is not None:
            raise InvalidClient("The service account was revoked.")
        account.last_used_at = self._clock.now()
        return account
