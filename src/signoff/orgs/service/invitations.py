"""Membership by invitation: an admin offers a role to an email address, and the person who
signs in with that address accepts it. Nobody is added without their consent, and inviting
an address says nothing about whether it has an account (the answer is the same)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from signoff.accounts.service import UserService
from signoff.accounts.service.users import normalize_email
from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.core.pagination import PageRequest
from signoff.core.permissions import Role
from signoff.core.principal import Principal
from signoff.core.security import Signer, random_token
from signoff.orgs.errors import InsufficientRole, InvitationNotFound, PeopleOnly
from signoff.orgs.events import InvitationChanged, MemberAdded
from signoff.orgs.models import Invitation, Membership, Organization
from signoff.orgs.policies import may_set_role
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service.access import OrgAccess

INVITATION_TTL = timedelta(days=14)
TOKEN_PREFIX = "inv_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


@dataclass(frozen=True)
class Accepted:
    org: Organization
    membership: Membership


class InvitationService:
    def __init__(
        self,
        repo: OrgRepository,
        users: UserService,
        events: EventRecorder,
        clock: Clock,
        secret: str,
    ) -> None:
        self._repo = repo
        self._users = users
        self._events = events
        self._clock = clock
        self._hasher = Signer(secret, "invitation")

    def _hash(self, token: str) -> str:
        return self._hasher.digest(token.encode()).hex()

    async def invite(self, access: OrgAccess, email: str, role: Role) -> IssuedInvitation:
        """Offer ``role`` to ``email``. Whether an account has that email is not looked up:
        the answer must not tell."""
        if not may_set_role(access.role, None, role):
            raise InsufficientRole(f"You cannot grant the {role.label} role.")
        now = self._clock.now()
        token = TOKEN_PREFIX + random_token()
        invitation = Invitation(
            org_id=access.org_id,
            email=normalize_email(email),
            role=role.label,
            token_hash=self._hash(token),
            invited_by=access.principal.user_id,
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        await self._repo.add(invitation)
        await self._record("created", invitation)
        return IssuedInvitation(invitation, token)

    async def pending(
        self, access: OrgAccess, page: PageRequest
    ) -> tuple[list[Invitation], str | None]:
        return await self._repo.pending_invitations(access.org_id, self._clock.now(), page)

    async def revoke(self, access: OrgAccess, invitation_id: uuid.UUID) -> None:
        invitation = await self._repo.invitation(access.org_id, invitation_id)
        if invitation is None or not self._pending(invitation):
            raise InvitationNotFound()
        invitation.revoked_at = self._clock.now()
        await self._repo.session.flush()
        await self._record("revoked", invitation)

    async def accept(self, principal: Principal, token: str) -> Accepted:
        """Join with the invitation's role, as the person it was sent to. Every refusal is
        the same 404: a token that is wrong, used, revoked, expired or someone else's."""
        if principal.user_id is None:
            raise PeopleOnly("Sign in as the invited person to accept.")
        user = await self._users.get(principal.user_id)
        invitation = await self._repo.invitation_by_token(self._hash(token))
        if invitation is None or not self._pending(invitation) or invitation.email != user.email:
            raise InvitationNotFound("No pending invitation for your account has this token.")
        now = self._clock.now()
        membership = await self._repo.membership(invitation.org_id, user.id)
        if membership is None:
            membership = Membership(
                org_id=invitation.org_id,
                user_id=user.id,
                role=invitation.role,
                created_at=now,
                updated_at=now,
            )
            await self._repo.add(membership)
            await self._events.emit(
                MemberAdded(
                    org_id=invitation.org_id,
                    subject=f"members/{user.id}",
                    user_id=user.id,
                    role=invitation.role,
                )
            )
        invitation.accepted_at, invitation.accepted_by = now, user.id
        await self._repo.session.flush()
        await self._record("accepted", invitation)
        org = await self._repo.org(invitation.org_id)
        assert org is not None
        return Accepted(org, membership)

    def _pending(self, invitation: Invitation) -> bool:
        return (
            invitation.accepted_at is None
            and invitation.revoked_at is None
            and invitation.expires_at > self._clock.now()
        )

    async def _record(
        self, change: Literal["created", "revoked", "accepted"], invitation: Invitation
    ) -> None:
        # The address is the invitee's personal data and the token a secret: neither goes
        # into events (webhooks, the audit log), only the invitation's id and role.
        await self._events.emit(
            InvitationChanged(
                org_id=invitation.org_id,
                subject=f"invitations/{invitation.id}",
                change=change,
                invitation_id=invitation.id,
                role=invitation.role,
            )
        )
