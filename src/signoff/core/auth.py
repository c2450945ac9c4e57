"""Authentication plumbing: the ``Authenticator`` protocol and the principal dependencies.

Core defines the shape (``core.principal``) and the FastAPI dependency; the identity
domain supplies the ``Authenticator`` (JWTs, API keys, OIDC) when the app is created. An app
created without one accepts no credentials at all: every protected route answers 401.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from signoff.core.errors import UnauthorizedError
from signoff.core.principal import Principal, PrincipalKind
from signoff.core.transaction import UnitOfWork, unit_of_work


class Authenticator(Protocol):
    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
        """The principal behind the request's credentials; None when it carries none.

        Raises ``UnauthorizedError`` for credentials that are present but not valid.
        """
        ...


class NoAuthenticator:
    """No identity provider: credentials are refused rather than silently ignored."""

    async def authenticate(self, request: Request, uow: UnitOfWork) -> Principal | None:
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
    principal = await authenticator.authenticate(request, unit_of_work(request))
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


__all__ = [
    "Authenticator",
    "CurrentPrincipal",
    "NoAuthenticator",
    "OptionalPrincipal",
    "Principal",
    "PrincipalKind",
]
