"""The webhooks' queue (``delivery``): fan-out into deliveries, claiming due ones with their
endpoint's circuit and per-subject order, recording results.

The claim and retry rules are the delivery engine's (``delivery.rows``); what is the
webhooks' own is the subscription matching, the per-subject order, the endpoint's circuit
and its concurrency cap, and the signing secrets a job carries.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import Integer, Select, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from signoff.core.events import OutboxEvent
from signoff.delivery.outcome import Outcome
from signoff.delivery.rows import Claim, Rules, claimed, clip, die, enqueue, pending
from signoff.webhooks.circuit import circuit_of, set_circuit
from signoff.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from signoff.webhooks.policies import matches
from signoff.webhooks.runtime import WebhooksRuntime


@dataclass(frozen=True, kw_only=True)
class Job(Claim):
    """A claimed delivery, in its endpoint's lane (the queue caps each lane's attempts)."""

    webhook_id: uuid.UUID
    url: str
    secrets: tuple[bytes, ...]
    body: bytes

    @property
    def lane(self) -> Hashable:
        return self.webhook_id


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: datetime
    duration_ms: float
    status_code: int | None
    succeeded: bool
    excerpt: str | None
    error: str | None
    # success, http_error, timeout, connect_error, refused, error: the attempts metric's label.
    kind: str


class DeliveryQueue:
    def __init__(self, runtime: WebhooksRuntime, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self._rules = Rules(runtime.settings, rng)

    async def fan_out(
        self, session: AsyncSession, events: Sequence[OutboxEvent], now: datetime
    ) -> int:
        """The relay's webhook destination: one delivery per event and matching subscription
        (active, and made before the event was recorded). Returns how many were made."""
        org_ids = {e.org_id for e in events if e.org_id is not None}
        if not org_ids:
            return 0
        query = select(Webhook.id, Webhook.org_id, Webhook.event_types).where(
            Webhook.org_id.in_(org_ids), Webhook.active.is_(True)
        )
        hooks = (await session.execute(query)).all()
        rows = [
            pending(event, now, webhook_id=hook.id, subject=event.subject)
            for event in events
            for hook in hooks
            if hook.org_id == event.org_id
            # Both ids are UUIDv7, ordered by creation: events recorded before the
            # subscription existed are not sent to it.
            and hook.id < event.id
            and matches(hook.event_types, event.type)
        ]
        return await enqueue(session, WebhookDelivery, rows)

    async def claim(
        self,
        session: AsyncSession,
        now: datetime,
        limit: int,
        busy: Mapping[Hashable, int] | None = None,
    ) -> list[Job]:
        """Claim up to ``limit`` due deliveries that may go now, with at most
        ``per_endpoint_concurrency`` in flight to one endpoint (``busy``: the caller's
        attempts under way, by webhook), so one slow receiver cannot take every slot."""
        lease = self._rules.lease
        taken: Counter[Hashable] = Counter(busy or {})
        jobs: list[Job] = []
        # More candidates than slots: some are passed over (a busy endpoint, a second probe).
        rows = (await session.execute(_CLAIMABLE, {"now": now, "limit": limit * 4})).all()
        for delivery, webhook, event in rows:
            if len(jobs) >= limit:
                break
            if not self._admit(webhook, taken, now, lease):
                continue
            try:
                secrets = self._secrets(webhook, now)
            except InvalidTag:
                # Sealed under another SIGNOFF_SECRET_KEY: no attempt can be signed, and
                # retrying will not change that. Rotating the secret, then redelivering, will.
                die(delivery, "the signing secret cannot be unsealed; rotate it, then redeliver")
                continue
            token = self._rules.take(delivery, now)
            if token is not None:
                jobs.append(_job(delivery, webhook, event, token, secrets))
        await session.flush()
        return jobs

    def _admit(
        self, webhook: Webhook, taken: Counter[Hashable], now: datetime, lease: timedelta
    ) -> bool:
        circuit = circuit_of(webhook)
        # Through a circuit that is not closed goes one probe at a time.
        cap = self._settings.per_endpoint_concurrency if circuit.state == "closed" else 1
        if taken[webhook.id] >= cap:
            return False
        set_circuit(webhook, circuit.probe(now, lease))
        taken[webhook.id] += 1
        return True

    def _secrets(self, webhook: Webhook, now: datetime) -> tuple[bytes, ...]:
        box = self._runtime.box
        secrets = [box.open(webhook.secret)]
        expires = webhook.previous_secret_expires_at
        if webhook.previous_secret is not None and expires is not None and now < expires:
            secrets.append(box.open(webhook.previous_secret))
        return tuple(secrets)

    async def record(
        self, session: AsyncSession, results: Sequence[tuple[Job, AttemptResult]], now: datetime
    ) -> list[Outcome]:
        return [await self._record(session, job, result, now) for job, result in results]

    async def _record(
        self, session: AsyncSession, job: Job, result: AttemptResult, now: datetime
    ) -> Outcome:
        """Log the attempt; then, if the claim is still ours, settle the delivery and the
        endpoint's circuit. The webhook is locked first, as a deletion does (no deadlock)."""
        webhook = await session.get(Webhook, job.webhook_id, with_for_update=True)
        delivery = await session.get(WebhookDelivery, job.id, with_for_update=True)
        if webhook is None or delivery is None:
            return Outcome.GONE
        session.add(_attempt_row(job, result))
        if delivery.claim_token != job.token:
            await session.flush()
            return Outcome.STALE
        delivery.last_status_code = result.status_code
        outcome = self._rules.settle(
            delivery,
            succeeded=result.succeeded,
            attempted_at=result.attempted_at,
            error=result.error,
            now=now,
            dead_reason=result.error or f"HTTP {result.status_code}",
        )
        circuit = circuit_of(webhook)
        if result.succeeded:
            set_circuit(webhook, circuit.succeeded())
        else:
            cooldown = timedelta(seconds=self._settings.breaker_cooldown_s)
            threshold = self._settings.breaker_threshold
            set_circuit(webhook, circuit.failed(now, threshold, cooldown))
        await session.flush()
        return outcome


def _claimable() -> Select[WebhookDelivery, Webhook, OutboxEvent]:
    """Deliveries due at ``:now``, at most ``:limit``."""
    earlier = aliased(WebhookDelivery)
    # Per-subject order: only the oldest pending delivery of a subject to an endpoint may go;
    # while it waits for a retry, the later ones wait too (other subjects do not).
    behind_earlier = exists().where(
        earlier.webhook_id == WebhookDelivery.webhook_id,
        earlier.subject == WebhookDelivery.subject,
        earlier.status == "pending",
        earlier.event_id < WebhookDelivery.event_id,
    )
    # An earlier event not fanned out yet (another relay holds it) may be of the same subject.
    undispatched = aliased(OutboxEvent)
    before_undispatched = exists().where(
        undispatched.dispatched_at.is_(None), undispatched.id < WebhookDelivery.event_id
    )
    return (
        select(WebhookDelivery, Webhook, OutboxEvent)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= bindparam("now"),
            Webhook.active.is_(True),
            or_(Webhook.circuit_state == "closed", Webhook.circuit_retry_at <= bindparam("now")),
            ~behind_earlier,
            ~before_undispatched,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.event_id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=[WebhookDelivery, Webhook])
    )


# Built once: building it (aliases, correlated EXISTS) cost more than running it, on
# every poll of every process (py-spy of a loaded server, issue 16).
_CLAIMABLE = _claimable()


def _job(
    delivery: WebhookDelivery,
    webhook: Webhook,
    event: OutboxEvent,
    token: uuid.UUID,
    secrets: tuple[bytes, ...],
) -> Job:
    body = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False).encode()
    return Job(
        **claimed(delivery, token, event.traceparent),
        webhook_id=webhook.id,
        url=webhook.url,
        secrets=secrets,
        body=body,
    )


def _attempt_row(job: Job, result: AttemptResult) -> WebhookAttempt:
    return WebhookAttempt(
        delivery_id=job.id,
        attempted_at=result.attempted_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        succeeded=result.succeeded,
        response_excerpt=result.excerpt,
        error=clip(result.error),
    )
