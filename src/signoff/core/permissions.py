"""The permission vocabulary: roles, scopes and the actions they allow.

A caller may do an action in an organization when both hold:
- their **role** there is at least the action's minimum role (users get it from their
  membership; API keys and service accounts from their scopes, see ``role_for_scopes``);
- their credential carries the action's **scope** (a token can be narrower than its user).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(IntEnum):
    """Ordered: each role can do everything the ones below it can."""

    VIEWER = 1
    MEMBER = 2
    ADMIN = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        return cls[value.upper()]


ROLE_NAMES = tuple(r.label for r in Role)


class Scope(StrEnum):
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    REVIEWS_WRITE = "reviews:write"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)


class Action(StrEnum):
    ORG_READ = "org.read"
    ORG_UPDATE = "org.update"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    TEAMS_MANAGE = "teams.manage"
    CREDENTIALS_MANAGE = "credentials.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    POLICY_MANAGE = "policy.manage"
    AUDIT_READ = "audit.read"
    DOCUMENTS_READ = "documents.read"
    DOCUMENTS_WRITE = "documents.write"
    REVIEWS_WRITE = "reviews.write"


# Action → (minimum role, scope the credential must carry).
RULES: dict[Action, tuple[Role, Scope]] = {
    Action.ORG_READ: (Role.VIEWER, Scope.DOCUMENTS_READ),
    Action.ORG_UPDATE: (Role.OWNER, Scope.ADMIN),
    Action.MEMBERS_READ: (Role.VIEWER, Scope.DOCUMENTS_READ),
    Action.MEMBERS_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.TEAMS_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.CREDENTIALS_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.WEBHOOKS_MANAGE: (Role.ADMIN, Scope.ADMIN),
    # Templates, lint policy and (later) review policy: how the organization works.
    Action.POLICY_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.AUDIT_READ: (Role.ADMIN, Scope.ADMIN),
    Action.DOCUMENTS_READ: (Role.VIEWER, Scope.DOCUMENTS_READ),
    Action.DOCUMENTS_WRITE: (Role.MEMBER, Scope.DOCUMENTS_WRITE),
    Action.REVIEWS_WRITE: (Role.MEMBER, Scope.REVIEWS_WRITE),
}


def allowed(role: Role, scopes: frozenset[str], action: Action) -> bool:
    minimum, scope = RULES[action]
    return role >= minimum and (scope in scopes or Scope.ADMIN in scopes)


def role_for_scopes(scopes: frozenset[str]) -> Role:
    """The role a machine credential acts with: the most its scopes could ever use.

    Never OWNER: ownership (renaming or giving away the organization) stays with people.
    """
    if Scope.ADMIN in scopes:
        return Role.ADMIN
    if scopes & {Scope.DOCUMENTS_WRITE, Scope.REVIEWS_WRITE}:
        return Role.MEMBER
    return Role.VIEWER


def parse_scopes(text: str | None) -> frozenset[str]:
    """A space-separated OAuth scope string; unknown scopes are kept (and then refused)."""
    return frozenset(text.split()) if text else frozenset()
