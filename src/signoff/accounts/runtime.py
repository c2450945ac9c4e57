"""The identity domain's long-lived parts, made once per app in ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.keys import KeyRing
from signoff.accounts.oidc import OidcVerifier
from signoff.accounts.oidc_login import OidcLogin
from signoff.accounts.passwords import Passwords
from signoff.accounts.repository import AccountRepository
from signoff.accounts.service import UserService
from signoff.accounts.throttle import LoginThrottle
from signoff.accounts.tokens import AccessTokens, RefreshTokens
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.events import EventRecorder
from signoff.core.revocation import RevocationList


@dataclass
class AccountsRuntime:
    passwords: Passwords
    keys: KeyRing
    access: AccessTokens
    refresh: RefreshTokens
    throttle: LoginThrottle
    oidc: OidcVerifier | None
    secret: str
    oidc_login: OidcLogin | None = None

    def users(self, session: AsyncSession, events: EventRecorder, clock: Clock) -> UserService:
        """The users service on ``session``: a request's, the CLI's, or a side write's."""
        return UserService(
            AccountRepository(session), self.passwords, self.throttle, events, clock, self.secret
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountsRuntime:
        secret = settings.secret_key.get_secret_value()
        keys = KeyRing(settings.auth, secret)
        issuer = settings.auth.issuer or settings.server.public_url or "signoff"
        oidc = login = None
        if settings.oidc.issuer is not None:
            oidc = OidcVerifier(settings.oidc, settings.auth.leeway_s)
            login = OidcLogin(settings.oidc, oidc, secret)
        return cls(
            passwords=Passwords(settings.auth),
            keys=keys,
            access=AccessTokens(settings.auth, keys, issuer),
            refresh=RefreshTokens(
                settings.auth,
                secret,
                RevocationList(
                    settings.redis,
                    ttl_s=settings.auth.access_token_ttl_s + settings.auth.leeway_s,
                ),
            ),
            throttle=LoginThrottle(settings.throttle, secret, settings.redis),
            oidc=oidc,
            secret=secret,
            oidc_login=login,
        )

    async def close(self) -> None:
        await self.refresh.revocations.close()
        if self.oidc is not None:
            await self.oidc.close()
