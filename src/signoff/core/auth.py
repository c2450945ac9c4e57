"""Authentication plumbing: the principal dependencies.

Core defines the shapes (``core.principal``, ``core.authenticator``) and the FastAPI
dependency; the identity domain supplies the ``Authenticator`` (JWTs, API keys, OIDC) when
the app is created. An app created without one accepts no credentials at all: every
protected route answers 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from signoff.core.authenticator import NoAuthenticator
from signoff.core.errors import UnauthorizedError
from signoff.core.principal import Principal, PrincipalKind
from signoff.core.services import Services
from signoff.core.transaction import unit_of_work

_UNSET = object()


async def optional_principal(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, Principal)
        return cached
    authenticator = Services.of(request.app).authenticator or NoAuthenticator()
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
    "CurrentPrincipal",
    "OptionalPrincipal",
    "Principal",
    "PrincipalKind",
]
