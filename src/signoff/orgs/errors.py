"""Errors of the tenancy domain."""

from signoff.core.errors import ConflictError, ForbiddenError, NotFoundError


class OrgNotFound(NotFoundError):
    code = "org_not_found"
    title = "No such organization"


class MemberNotFound(NotFoundError):
    code = "member_not_found"
    title = "No such member"


class TeamNotFound(NotFoundError):
    code = "team_not_found"
    title = "No such team"


class SlugTaken(ConflictError):
    code = "slug_taken"
    title = "This slug is in use"


class AlreadyMember(ConflictError):
    code = "already_member"
    title = "This user is already a member"


class LastOwner(ConflictError):
    code = "last_owner"
    title = "An organization must keep at least one owner"


class InsufficientRole(ForbiddenError):
    code = "insufficient_role"
    title = "Your role does not allow this"


class InsufficientScope(ForbiddenError):
    code = "insufficient_scope"
    title = "Your credential's scopes do not allow this"


class PeopleOnly(ForbiddenError):
    code = "people_only"
    title = "Only a person may do this, not an API key or service account"


class InvitationNotFound(NotFoundError):
    code = "invitation_not_found"
    title = "No pending invitation matches"
