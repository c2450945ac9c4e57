"""The ``Authenticator`` protocol: who is behind a request's credentials.

Apart from the dependencies of ``core.auth`` so that ``core.services`` can name its type
without an import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from signoff.core.errors import UnauthorizedError
from signoff.core.principal import Principal

if TYPE_CHECKING:
    from starlette.requests import Request

    from signoff.core.transaction import UnitOfWork


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
