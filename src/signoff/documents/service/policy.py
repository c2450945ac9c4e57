"""An organization's lint policy: which rules run, their severities, what blocks review."""

from __future__ import annotations

from signoff.core.clock import Clock
from signoff.core.concurrency import etag_of, require_if_match
from signoff.core.events import EventRecorder
from signoff.documents.events import LintPolicyChanged
from signoff.documents.models import LintPolicy
from signoff.documents.repository import DocumentRepository
from signoff.documents.service.reading import policy_config
from signoff.orgs.service import OrgAccess


def policy_etag(policy: LintPolicy | None) -> str:
    return etag_of("lint-policy", policy.version if policy else 0)


class LintPolicyService:
    def __init__(self, repo: DocumentRepository, events: EventRecorder, clock: Clock) -> None:
        self._repo = repo
        self._events = events
        self._clock = clock

    async def get(self, access: OrgAccess) -> LintPolicy | None:
        return await self._repo.lint_policy(access.org_id)

    async def put(
        self,
        access: OrgAccess,
        if_match: str | None,
        *,
        enabled: list[str] | None,
        disabled: list[str],
        severities: dict[str, str],
        blocking: list[str],
    ) -> LintPolicy:
        policy = await self._repo.lint_policy(access.org_id)
        require_if_match(if_match, policy_etag(policy))
        if policy is None:
            policy = LintPolicy(org_id=access.org_id, version=0)
            self._repo.session.add(policy)
        policy.enabled = sorted(set(enabled)) if enabled is not None else None
        policy.disabled = sorted(set(disabled))
        policy.severities = dict(severities)
        policy.blocking_severities = sorted(set(blocking))
        policy.version += 1
        policy.updated_at = self._clock.now()
        policy_config(policy)  # refuses unknown rule ids and severities (422)
        await self._repo.session.flush()
        await self._events.emit(
            LintPolicyChanged(org_id=access.org_id, subject="lint-policy", version=policy.version)
        )
        return policy
