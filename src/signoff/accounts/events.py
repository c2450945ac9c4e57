"""What the identity domain says happened (``core.events.Event``): never a secret, a token or
a password; the wire format is the one these events always had."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class UserCreated(Event):
    TYPE = "users.created"

    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class SignupRefused(Event):
    """A sign-up for an existing account with another password."""

    TYPE = "auth.signup_refused"

    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class LoginSucceeded(Event):
    TYPE = "auth.login_succeeded"

    user_id: uuid.UUID
    method: Literal["password", "oidc"] = "password"
    issuer: str | None = None  # the identity provider's, for ``oidc``

    def data(self) -> dict[str, object]:
        data: dict[str, object] = {"user_id": str(self.user_id), "method": self.method}
        if self.method == "oidc":
            data["issuer"] = self.issuer
        return data


@dataclass(frozen=True, kw_only=True)
class LoginFailed(Event):
    """A failed sign-in; ``user_id`` None when no account has the email."""

    TYPE = "auth.login_failed"

    user_id: uuid.UUID | None

    def data(self) -> dict[str, object]:
        return {"user_id": str(self.user_id)} if self.user_id else {"account_exists": False}


@dataclass(frozen=True, kw_only=True)
class IdentityLinked(Event):
    TYPE = "auth.identity_linked"

    user_id: uuid.UUID
    issuer: str


@dataclass(frozen=True, kw_only=True)
class TokenRefreshed(Event):
    TYPE = "auth.token_refreshed"

    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(Event):
    TYPE = "auth.token_revoked"

    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RefreshTokenReused(Event):
    """A refresh token was used twice: its whole family is revoked."""

    TYPE = "auth.refresh_token_reused"

    family_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class SignedOut(Event):
    """An API sign-out (its token family) or a browser's (its web session)."""

    TYPE = "auth.signed_out"

    user_id: uuid.UUID
    session_id: str | None = None
    web_session_id: uuid.UUID | None = None

    def data(self) -> dict[str, object]:
        if self.web_session_id is not None:
            return {"user_id": str(self.user_id), "web_session_id": str(self.web_session_id)}
        return {"user_id": str(self.user_id), "session_id": self.session_id}


@dataclass(frozen=True, kw_only=True)
class CredentialChanged(Event):
    """``credentials.<credential>_<change>``: an API key or a service account."""

    credential: Literal["api_key", "service_account"]
    change: Literal["created", "revoked"]
    credential_id: uuid.UUID
    name: str
    scopes: list[str]

    @property
    def type(self) -> str:
        return f"credentials.{self.credential}_{self.change}"

    def data(self) -> dict[str, object]:
        return {"id": str(self.credential_id), "name": self.name, "scopes": self.scopes}
