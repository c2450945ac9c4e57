"""Turns an ``Authorization: Bearer`` header into a ``Principal``: a Signoff access token,
an API key, or a token from the configured OpenID Connect issuer."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import jwt
from fastapi import Request

from signoff.accounts.errors import InvalidToken, SessionRevoked
from signoff.accounts.models import ServiceAccount
from signoff.accounts.oidc import external_principal
from signoff.accounts.repository import AccountRepository
from signoff.accounts.runtime import AccountsRuntime
from signoff.accounts.service import CredentialService
from signoff.accounts.service.credentials import API_KEY_PREFIX
from signoff.core.access_cache import CREDENTIALS, AccessCache
from signoff.core.auth import Principal
from signoff.core.events import EventContext, EventRecorder
from signoff.core.services import Services
from signoff.core.transaction import UnitOfWork


class AccountsAuthenticator:
    def __init__(self, runtime: AccountsRuntime) -> None:
        self._runtime = runtime

    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer":
            return None  # e.g. HTTP Basic client authentication at the token endpoint
        if not token:
            raise InvalidToken("Send 'Authorization: Bearer <token>'.", error="invalid_request")
        cache: AccessCache = Services.of(request.app).access_cache
        cached = cache.get(("credential", token))
        if isinstance(cached, Principal):
            if cached.session_id is not None:
                await self._refuse_revoked(uow, cached.session_id)
            return cached
        if token.startswith(API_KEY_PREFIX):
            # The key's organization is not known before it is loaded: any change to any
            # credential moves this entry's version (CREDENTIALS), read before the load.
            stamp = cache.stamp(CREDENTIALS, None)
            principal, expires_at = await self._api_key(request, uow, token)
            expires = None
            if expires_at is not None:  # never cached past the key's expiry
                left = (expires_at - Services.of(request.app).clock.now()).total_seconds()
                expires = time.monotonic() + left
            cache.put(("credential", token), principal, stamp, org_id=CREDENTIALS, expires=expires)
            return principal
        claims = _peek(token)
        oidc = self._runtime.oidc
        if oidc is not None and oidc.issued(claims):
            return await self._external(request, uow, token)
        return await self._access_token(request, uow, token, claims, cache)

    async def cached(self, cache: AccessCache, token: str) -> Principal | None:
        """The principal of a credential the access cache holds and that is not revoked,
        with no database: what ``authenticate`` answers when its cache hits. None for
        anything else (a miss, a revoked session, a list not loaded yet): ``authenticate``
        then decides, and refuses as it does."""
        cached = cache.get(("credential", token))
        if not isinstance(cached, Principal):
            return None
        if cached.session_id is not None:
            revocations = self._runtime.refresh.revocations
            if not revocations.loaded or await revocations.is_revoked(cached.session_id):
                return None
        return cached

    async def _access_token(
        self,
        request: Request,
        uow: UnitOfWork,
        token: str,
        claims: dict[str, Any],
        cache: AccessCache,
    ) -> Principal:
        org_id = _uuid_or_none(claims.get("org"))
        stamp = cache.stamp(org_id, None)
        now = Services.of(request.app).clock.now()
        principal = await self._runtime.access.verify(uow.session(), token, now)
        if principal.session_id is not None:
            await self._refuse_revoked(uow, principal.session_id)
        if principal.kind == "service_account":
            # A revoked service account loses its tokens at once, not when they expire.
            account = await uow.session().get(ServiceAccount, principal.id)
            if account is None or account.revoked_at is not None:
                raise InvalidToken("The service account was revoked.")
        # Kept no longer than the token is valid; the session's revocation is checked on
        # every request all the same (core.revocation).
        expires = time.monotonic() + float(claims.get("exp", 0)) - time.time()
        cache.put(("credential", token), principal, stamp, org_id=org_id, expires=expires)
        return principal

    async def _refuse_revoked(self, uow: UnitOfWork, session_id: str) -> None:
        refresh = self._runtime.refresh

        async def recently_revoked(since: float) -> list[str]:
            return await refresh.recently_revoked(uow.session(), since)

        await refresh.revocations.load_once(recently_revoked)
        if await refresh.revocations.is_revoked(session_id):
            raise SessionRevoked("Sign in again: this session was signed out or revoked.")

    async def _api_key(
        self, request: Request, uow: UnitOfWork, token: str
    ) -> tuple[Principal, datetime | None]:
        service = self._credentials(request, AccountRepository(uow.session()))
        principal, stale, expires_at = await service.authenticate_api_key(token)
        if stale:
            async with uow.side_write() as session:
                await self._credentials(request, AccountRepository(session)).touch_api_key(
                    principal.id
                )
        return principal, expires_at

    async def _external(self, request: Request, uow: UnitOfWork, token: str) -> Principal:
        assert self._runtime.oidc is not None
        claims = await self._runtime.oidc.verify(token)
        state = Services.of(request.app)
        async with uow.side_write() as session:
            events = EventRecorder(
                session,
                state.clock,
                listeners=state.event_listeners,
                context=EventContext(actor=f"oidc:{claims.issuer}#{claims.subject}"),
            )
            users = self._runtime.users(session, events, state.clock)
            user = await users.from_external(claims)
        return external_principal(user.id, claims)

    def _credentials(self, request: Request, repo: AccountRepository) -> CredentialService:
        state = Services.of(request.app)
        return CredentialService(
            repo,
            EventRecorder(repo.session, state.clock),
            state.clock,
            self._runtime.secret,
            state.cursors,
        )


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _peek(token: str) -> dict[str, Any]:
    """Read claims without trusting them, only to choose who must verify the token."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        # Say which kind the token was taken for: people paste API keys and tokens alike.
        raise InvalidToken(
            f"The token was taken for an access token (a JWT), as it does not start with "
            f"'{API_KEY_PREFIX}' as API keys do; it is not a well-formed JWT."
        ) from exc
    return claims
