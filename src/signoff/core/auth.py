"""Who is calling: the ``Principal`` every permission check is made against.

Core defines the shape and the FastAPI dependency; the identity domain supplies the
``Authenticator`` (JWTs, API keys, OIDC) when the app is created. An app created without one
accepts no credentials at all: every protected route answers 401.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.errors import UnauthorizedError
from signoff.core.transaction import unit_of_work

PrincipalKind = Literal["user", "api_key", "service_account"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    scopes: frozenset[str] = field(default_factory=frozenset)
    # Set for API keys and service accounts, which belong to exactly one organization.
    org_id: uuid.UUID | None = None
    # The user behind the call: the user themself, or None for machine credentials.
    user_id: uuid.UUID | None = None
    token_id: str | None = None

    @property
    def key(self) -> str:
        """A stable name for this caller across tokens (idempotency keys, rate limits)."""
        return f"{self.kind}:{self.id}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


class Authenticator(Protocol):
    async def authenticate(self, request: Request, session: AsyncSession) -> Principal | None:
        """The principal behind the request's credentials; None when it carries none.

        Raises ``UnauthorizedError`` for credentials that are present but not valid.
        """
        ...


class NoAuthenticator:
    """No identity provider: credentials are refused rather than silently ignored."""

    async def authenticate(self, request: Request, session: AsyncSession) -> Principal | None:
        if request.headers.get("authorization"):
            raise UnauthorizedError("This server accepts no credentials.")
        return None


_UNSET = object()


async def optional_principal(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, Principal)
        return cached
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate(request, unit_of_work(request).session())
    request.state.principal = principal
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise UnauthorizedError("Send an access token or API key as a Bearer token.", error=None)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
