"""The tenancy domain's use cases."""

from signoff.orgs.service.access import AccessService, OrgAccess
from signoff.orgs.service.members import MemberService
from signoff.orgs.service.orgs import OrgService
from signoff.orgs.service.teams import TeamService

__all__ = ["AccessService", "MemberService", "OrgAccess", "OrgService", "TeamService"]
