"""What the tenancy domain says happened (``core.events.Event``). The wire format is the one
these events always had: the access cache and webhook consumers read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class OrgCreated(Event):
    TYPE = "orgs.created"

    slug: str
    owner_id: uuid.UUID

    def data(self) -> dict[str, object]:
        return {"org_id": str(self.org_id), "slug": self.slug, "owner_id": str(self.owner_id)}


@dataclass(frozen=True, kw_only=True)
class SignedUp(Event):
    """Someone created an account and their first organization in one step."""

    TYPE = "auth.signed_up"

    user_id: uuid.UUID

    def data(self) -> dict[str, object]:
        return {"user_id": str(self.user_id), "org_id": str(self.org_id)}


@dataclass(frozen=True, kw_only=True)
class OrgUpdated(Event):
    TYPE = "orgs.updated"

    name: str


@dataclass(frozen=True, kw_only=True)
class MemberAdded(Event):
    """A membership began: by invitation, or vouched for by the identity provider (``via``)."""

    TYPE = "orgs.member_added"

    user_id: uuid.UUID
    role: str
    via: Literal["oidc_claim"] | None = None

    def data(self) -> dict[str, object]:
        data: dict[str, object] = {"user_id": str(self.user_id), "role": self.role}
        return data | ({"via": self.via} if self.via else {})


@dataclass(frozen=True, kw_only=True)
class MemberRoleChanged(Event):
    TYPE = "orgs.member_role_changed"

    user_id: uuid.UUID
    role: str
    previous: str


@dataclass(frozen=True, kw_only=True)
class MemberRemoved(Event):
    TYPE = "orgs.member_removed"

    user_id: uuid.UUID
    role: str


@dataclass(frozen=True, kw_only=True)
class InvitationChanged(Event):
    """``orgs.invitation_<change>``: never the address (personal data) nor the token."""

    TYPE = "orgs.invitation_{change}"
    NAMED_BY = ("change",)

    change: Literal["created", "revoked", "accepted"]
    invitation_id: uuid.UUID
    role: str


@dataclass(frozen=True, kw_only=True)
class TeamCreated(Event):
    TYPE = "teams.created"

    team: str  # its slug


@dataclass(frozen=True, kw_only=True)
class TeamMemberChanged(Event):
    """``teams.member_<change>``."""

    TYPE = "teams.member_{change}"
    NAMED_BY = ("change",)

    change: Literal["added", "removed"]
    team: str  # its slug
    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RequestLimitsUpdated(Event):
    """The organization's own request budgets (None: the server's default)."""

    TYPE = "orgs.request_limits_updated"

    reads_per_minute: int | None
    writes_per_minute: int | None
