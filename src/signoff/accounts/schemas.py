"""Request and response bodies of the identity routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from signoff.core.permissions import Scope


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name
    expires_in: int = Field(description="Seconds until the access token expires.")
    scope: str
    refresh_token: str | None = Field(
        default=None, description="Single use: each refresh returns a new one."
    )


class Jwk(BaseModel):
    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str
    alg: str
    use: str


class JwksRead(BaseModel):
    keys: list[Jwk]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    name: str
    created_at: datetime


ScopeName = Literal["documents:read", "documents:write", "reviews:write", "admin"]
assert set(ScopeName.__args__) == {s.value for s in Scope}  # type: ignore[attr-defined]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeName] = Field(min_length=1)
    # With an offset (`Z` or `+02:00`): a time without one is no instant at all.
    expires_at: AwareDatetime | None = Field(default=None, description="In the future.")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    prefix: str = Field(description="Shown to tell keys apart; not a secret.")
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself. Shown once; store it now.")


class ServiceAccountCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeName] = Field(min_length=1)


class ServiceAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


class ServiceAccountCreated(ServiceAccountRead):
    client_secret: str = Field(description="Shown once; store it now.")
