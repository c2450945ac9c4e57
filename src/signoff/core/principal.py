"""Who is calling: the ``Principal`` every permission check is made against (no web code)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

PrincipalKind = Literal["user", "api_key", "service_account", "inbound"]


# "inbound": an upstream system's inbound source, acting through an event it signed.


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
    # The sign-in session (refresh-token family) an access token belongs to: revoking the
    # session refuses the token at once (core.revocation).
    session_id: str | None = None
    # Organizations an external identity provider says the user belongs to: (slug, role).
    org_claims: frozenset[tuple[str, str | None]] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        """A stable name for this caller across tokens (idempotency keys, rate limits)."""
        return f"{self.kind}:{self.id}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes
