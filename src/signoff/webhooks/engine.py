"""The delivery engine: claims due deliveries, sends them concurrently, records the results.

At least once: a delivery is settled only after its attempt, so a crash between the two
means it is sent again once its claim lapses; receivers deduplicate by ``webhook-id``.
Every time that matters (due, claimed until, retry at) is in the database, so a restart
loses nothing and any instance can carry on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from signoff.core.clock import Clock
from signoff.core.config import WebhookSettings
from signoff.core.db import Transact
from signoff.core.logging import get_logger
from signoff.core.wakeup import Wakeup
from signoff.webhooks.metrics import WebhookMetrics
from signoff.webhooks.queue import AttemptResult, DeliveryQueue, Job, Outcome
from signoff.webhooks.sender import Sender

log = get_logger("signoff.webhooks")


class DeliveryEngine:
    def __init__(
        self,
        transact: Transact,
        queue: DeliveryQueue,
        sender: Sender,
        clock: Clock,
        settings: WebhookSettings,
        metrics: WebhookMetrics | None = None,
    ) -> None:
        self._transact = transact
        self._queue = queue
        self._sender = sender
        self._clock = clock
        self._settings = settings
        self._metrics = metrics
        self._wake = Wakeup()
        self._inflight: set[asyncio.Task[None]] = set()
        self._busy: Counter[uuid.UUID] = Counter()  # attempts under way, per webhook
        self._loop: asyncio.Task[None] | None = None
        self.attempts = 0  # made by this engine: tests compare instances

    def wake(self) -> None:
        """New deliveries may be due (the relay fanned out, or an attempt finished)."""
        self._wake.set()

    async def run_once(self) -> list[Outcome]:
        """Claim what is due, send it all, record each result; returns the outcomes."""
        jobs = await self.claim(self._settings.concurrency)
        results = await asyncio.gather(*(self.attempt(job) for job in jobs))
        # Recorded one by one: a caller's session may not be shared by concurrent writes.
        return [await self.record(job, result) for job, result in zip(jobs, results, strict=True)]

    async def claim(self, limit: int) -> list[Job]:
        now = self._clock.now()
        busy = dict(self._busy)
        return await self._transact(lambda session: self._queue.claim(session, now, limit, busy))

    async def attempt(self, job: Job) -> AttemptResult:
        return await self._sender.send(job)

    async def record(self, job: Job, result: AttemptResult) -> Outcome:
        now = self._clock.now()
        outcome = await self._transact(
            lambda session: self._queue.record(session, job, result, now)
        )
        self.attempts += 1
        self._observe(job, result, outcome)
        return outcome

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="webhooks:engine")

    async def stop(self) -> None:
        """Stop claiming; let attempts in flight finish (bounded by their timeout)."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self._settings.timeout_s + 1)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self._fill()
            except Exception:  # the database may be away; try again at the next poll
                log.exception("webhooks.claim_failed")
            await self._wake.wait(self._settings.poll_interval_s)

    async def _fill(self) -> None:
        free = self._settings.concurrency - len(self._inflight)
        if free <= 0:
            return
        for job in await self.claim(free):
            self._busy[job.webhook_id] += 1
            task = asyncio.create_task(self._deliver(job), name=f"webhooks:{job.delivery_id}")
            self._inflight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self.wake()  # the next event of its subject may go now

    async def _deliver(self, job: Job) -> None:
        try:
            result = await self.attempt(job)
            await self.record(job, result)
        except Exception:  # not recorded: the claim lapses and the delivery is sent again
            log.exception("webhooks.record_failed", delivery_id=str(job.delivery_id))
        finally:
            self._busy[job.webhook_id] -= 1
            if self._busy[job.webhook_id] <= 0:
                del self._busy[job.webhook_id]

    def _observe(self, job: Job, result: AttemptResult, outcome: Outcome) -> None:
        if self._metrics is not None:
            self._metrics.attempts.labels(result=result.kind).inc()
            self._metrics.duration.observe(result.duration_ms / 1000)
            if outcome in (Outcome.SUCCEEDED, Outcome.RETRYING, Outcome.DEAD):
                self._metrics.deliveries.labels(outcome=outcome.value).inc()
        log.info(
            "webhooks.attempt",
            delivery_id=str(job.delivery_id),
            webhook_id=str(job.webhook_id),
            attempt=job.attempt,
            status=result.status_code,
            result=result.kind,
            outcome=outcome.value,
            duration_ms=result.duration_ms,
            error=result.error,
        )
