"""Request and response bodies of the tenancy routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from signoff.accounts.schemas import UserRead

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", max_length=63),
    Field(description="Lower case letters, digits and inner hyphens.", examples=["acme"]),
]
RoleName = Literal["owner", "admin", "member", "viewer"]


class OrgCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: Slug


class OrgUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime
    updated_at: datetime


class OrgWithRoleRead(OrgRead):
    role: RoleName


class SignupCreate(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(min_length=1, max_length=200)
    org_name: str = Field(min_length=1, max_length=200)
    org_slug: Slug


class SignupRead(BaseModel):
    detail: str = (
        "If this email's owner can use it, the account and the organization exist now: "
        "sign in with POST /v1/auth/token."
    )


class MemberCreate(BaseModel):
    email: str = Field(max_length=320)
    role: RoleName = "member"


class MemberUpdate(BaseModel):
    role: RoleName


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: RoleName
    joined_at: datetime


class TeamCreate(BaseModel):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)


class TeamRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime
    member_ids: list[uuid.UUID]


class MeOrg(BaseModel):
    slug: str
    name: str
    role: RoleName


class MeRead(BaseModel):
    kind: Literal["user", "api_key", "service_account"]
    id: uuid.UUID
    user: UserRead | None
    scopes: list[str]
    orgs: list[MeOrg]


class InvitationCreate(BaseModel):
    email: str = Field(max_length=320)
    role: RoleName = "member"


class InvitationRead(BaseModel):
    id: uuid.UUID
    email: str
    role: RoleName
    created_at: datetime
    expires_at: datetime
    token: str | None = Field(
        default=None,
        description="Shown once, when the invitation is made: the invited person accepts "
        "with it (`POST /v1/invitations/accept`), signed in with the invited email.",
    )


class InvitationAccept(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class InvitationAccepted(BaseModel):
    org: OrgRead
    role: RoleName


# An organization may allow itself at most this many requests a minute of each kind: above
# any server's budget, so it never stands in the way of one, and a bound on input.
MAX_PER_MINUTE = 1_000_000
PerMinute = Annotated[int | None, Field(ge=1, le=MAX_PER_MINUTE)]


class RequestLimitsBody(BaseModel):
    reads_per_minute: PerMinute = Field(
        description="Reads (GET, HEAD, OPTIONS) a minute by all the organization's callers "
        "together; `null`: none of its own."
    )
    writes_per_minute: PerMinute = Field(
        description="Writes a minute by all its callers together; `null`: none of its own."
    )


class RequestLimitsRead(RequestLimitsBody):
    server_reads: str = Field(
        description="The server's budget of reads per organization (`limits` notation; empty: "
        "none), which applies as well: the organization's own can only tighten it."
    )
    server_writes: str = Field(description="The server's budget of writes per organization.")
