"""The OAuth 2.0 token endpoint's grants and RFC 7009 revocation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.errors import InvalidGrant, InvalidScope, InvalidToken, NoSession
from signoff.accounts.events import RefreshTokenReused, SignedOut, TokenRefreshed, TokenRevoked
from signoff.accounts.service.credentials import CredentialService
from signoff.accounts.service.users import UserService
from signoff.accounts.tokens import AccessTokens, RefreshTokens
from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.permissions import ALL_SCOPES, parse_scopes
from signoff.core.principal import Principal


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - a scheme name


def _narrowed(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """The scopes to grant: all allowed when none are asked for, else exactly those asked,
    which must all be allowed (RFC 6749 §3.3)."""
    if not requested:
        return allowed
    asked = parse_scopes(requested)
    if not asked <= allowed:
        raise InvalidScope(f"Not allowed: {', '.join(sorted(asked - allowed))}.")
    return asked


class GrantService:
    def __init__(
        self,
        session: AsyncSession,
        users: UserService,
        credentials: CredentialService,
        access: AccessTokens,
        refresh: RefreshTokens,
        events: EventRecorder,
        clock: Clock,
    ) -> None:
        self._session = session
        self._users = users
        self._credentials = credentials
        self._access = access
        self._refresh = refresh
        self._events = events
        self._clock = clock

    async def password(
        self, username: str, password: str, scope: str | None, address: str | None
    ) -> TokenResponse:
        scopes = _narrowed(scope, ALL_SCOPES)
        user = await self._users.sign_in(username, password, address)
        now = self._clock.now()
        refresh = self._refresh.issue(self._session, now, user_id=user.id, scopes=scopes)
        issued = await self._access.issue(
            self._session,
            now,
            kind="user",
            subject=user.id,
            scopes=scopes,
            session_id=refresh.family_id,
        )
        return TokenResponse(
            issued.token, issued.expires_in, " ".join(sorted(scopes)), refresh.token
        )

    async def refresh(self, token: str, scope: str | None) -> TokenResponse:
        now = self._clock.now()
        try:
            grant = await self._refresh.rotate(self._session, token, now)
        except InvalidGrant as exc:
            if exc.keep_changes:  # reuse: the family was revoked; say so in the audit log
                family = await self._refresh.family_of(self._session, token)
                assert family is not None  # reuse is found on the token's own row
                await self._events.emit(
                    RefreshTokenReused(
                        org_id=None, subject=f"token-families/{family}", family_id=family
                    )
                )
            raise
        user = await self._users.get(grant.user_id)
        scopes = _narrowed(scope, grant.scopes)
        issued = await self._access.issue(
            self._session,
            now,
            kind="user",
            subject=user.id,
            scopes=scopes,
            session_id=grant.family_id,
        )
        await self._events.emit(
            TokenRefreshed(org_id=None, subject=f"users/{user.id}", user_id=user.id)
        )
        return TokenResponse(issued.token, issued.expires_in, " ".join(sorted(scopes)), grant.token)

    async def client_credentials(
        self, client_id: str, secret: str, scope: str | None
    ) -> TokenResponse:
        account = await self._credentials.authenticate_client(client_id, secret)
        scopes = _narrowed(scope, frozenset(account.scopes))
        issued = await self._access.issue(
            self._session,
            self._clock.now(),
            kind="service_account",
            subject=account.id,
            scopes=scopes,
            org_id=account.org_id,
        )
        return TokenResponse(issued.token, issued.expires_in, " ".join(sorted(scopes)))

    async def revoke(self, token: str) -> None:
        """RFC 7009: revoke a refresh token, or an access token, and with either the whole
        sign-in session: its refresh tokens, and its access tokens from the next request on.
        Unknown and invalid tokens are not an error (RFC 7009 §2.2)."""
        now = self._clock.now()
        user_id = await self._refresh.revoke(self._session, token, now)
        if user_id is None:
            user_id = await self._revoke_access_token(token, now)
        if user_id is not None:
            await self._events.emit(
                TokenRevoked(org_id=None, subject=f"users/{user_id}", user_id=user_id)
            )

    async def _revoke_access_token(self, token: str, now: datetime) -> uuid.UUID | None:
        try:
            principal = await self._access.verify(self._session, token, now)
        except InvalidToken:
            return None
        if principal.session_id is None:
            return None
        await self.sign_out(principal)
        return principal.user_id

    async def sign_out(self, principal: Principal) -> None:
        """End the caller's sign-in session (the session of the access token used)."""
        if principal.session_id is None:
            raise NoSession()
        assert principal.user_id is not None  # sessions are people's
        await self._refresh.revoke_family(
            self._session, uuid.UUID(principal.session_id), self._clock.now()
        )
        await self._events.emit(
            SignedOut(
                org_id=None,
                subject=f"users/{principal.user_id}",
                user_id=principal.user_id,
                session_id=principal.session_id,
            )
        )
