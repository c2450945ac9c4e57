"""The delivery engine: claims due work, sends it, records the results, in rounds.

At least once: a delivery is settled only after its attempt, so a crash between the two
means it is sent again once its claim lapses (receivers deduplicate by its id). Every time
that matters (due, claimed until, retry at) is in the database, so a restart loses nothing
and any instance can carry on.

A channel sets its pace: webhooks send up to ``concurrency`` rounds of one delivery each at
once (and the queue caps the rounds per endpoint through ``busy``); email sends one round of
up to ``batch`` notices at a time over one SMTP connection, which is what mail servers like.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.db import Transact
from signoff.core.logging import get_logger
from signoff.core.wakeup import Wakeup
from signoff.delivery.outcome import Outcome


class Claimed(Protocol):
    """A claimed delivery with everything needed to send it, so sending needs no database."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def lane(self) -> Hashable: ...  # what ``busy`` counts: the endpoint, or one lane for all


J = TypeVar("J", bound=Claimed)
R = TypeVar("R")
R_contra = TypeVar("R_contra", contravariant=True)


class Queue(Protocol[J, R_contra]):
    async def claim(
        self,
        session: AsyncSession,
        now: datetime,
        limit: int,
        busy: Mapping[Hashable, int] | None = None,
    ) -> list[J]: ...

    async def record(
        self, session: AsyncSession, results: Sequence[tuple[J, R_contra]], now: datetime
    ) -> list[Outcome]: ...


Send = Callable[[Sequence[J]], Awaitable[list[R]]]
Observe = Callable[[J, R, Outcome], None]


@dataclass(frozen=True)
class Pace:
    name: str  # of the tasks and the log events: webhooks, notify
    concurrency: int  # rounds under way at once
    batch: int  # deliveries per round
    poll_interval_s: float  # for work that other processes made
    timeout_s: float  # of one step: a stop waits this long (and a second) for rounds


def each(send_one: Callable[[J], Awaitable[R]]) -> Send[J, R]:
    """A sender of single deliveries as a sender of rounds (their attempts go concurrently)."""

    async def send(jobs: Sequence[J]) -> list[R]:
        return list(await asyncio.gather(*(send_one(job) for job in jobs)))

    return send


class Engine(Generic[J, R]):
    def __init__(
        self,
        transact: Transact,
        queue: Queue[J, R],
        send: Send[J, R],
        clock: Clock,
        pace: Pace,
        observe: Observe[J, R] | None = None,
    ) -> None:
        self._transact = transact
        self.queue = queue
        self._send = send
        self._clock = clock
        self._pace = pace
        self._observe = observe
        self._log = get_logger(f"signoff.{pace.name}")
        self._wake = Wakeup()
        self._inflight: set[asyncio.Task[None]] = set()
        self._busy: Counter[Hashable] = Counter()  # attempts under way, per lane
        self._loop: asyncio.Task[None] | None = None
        self.attempts = 0  # made by this engine: tests compare instances

    def wake(self) -> None:
        """New work may be due (the relay fanned out, or an attempt finished)."""
        self._wake.set()

    async def run_once(self) -> list[Outcome]:
        """Claim what is due, send it all, record each round; returns the outcomes."""
        pace = self._pace
        jobs = await self.claim(pace.concurrency * pace.batch)
        rounds = [jobs[i : i + pace.batch] for i in range(0, len(jobs), pace.batch)]
        results = await asyncio.gather(*(self._send(r) for r in rounds))
        outcomes: list[Outcome] = []
        # Recorded one by one: a caller's session may not be shared by concurrent writes.
        for jobs_of_round, results_of_round in zip(rounds, results, strict=True):
            outcomes += await self._record(list(zip(jobs_of_round, results_of_round, strict=True)))
        return outcomes

    async def claim(self, limit: int) -> list[J]:
        now = self._clock.now()
        busy = dict(self._busy)
        return await self._transact(lambda session: self.queue.claim(session, now, limit, busy))

    async def attempt(self, job: J) -> R:
        [result] = await self._send([job])
        return result

    async def record(self, job: J, result: R) -> Outcome:
        [outcome] = await self._record([(job, result)])
        return outcome

    async def _record(self, pairs: list[tuple[J, R]]) -> list[Outcome]:
        if not pairs:
            return []
        now = self._clock.now()
        outcomes = await self._transact(lambda session: self.queue.record(session, pairs, now))
        self.attempts += len(pairs)
        if self._observe is not None:
            for (job, result), outcome in zip(pairs, outcomes, strict=True):
                self._observe(job, result, outcome)
        return outcomes

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name=f"{self._pace.name}:engine")

    async def stop(self) -> None:
        """Stop claiming; let the rounds under way finish, within one step's timeout: a
        round cut between sending and recording is sent again once its claim lapses, and a
        sick receiver must not hold up a shutdown."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self._pace.timeout_s + 1)
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self._fill()
            except Exception:  # the database may be away; try again at the next poll
                self._log.exception(f"{self._pace.name}.claim_failed")
            await self._wake.wait(self._pace.poll_interval_s)

    async def _fill(self) -> None:
        pace = self._pace
        free = pace.concurrency - len(self._inflight)
        if free <= 0:
            return
        jobs = await self.claim(free * pace.batch)
        for i in range(0, len(jobs), pace.batch):
            self._launch(jobs[i : i + pace.batch])

    def _launch(self, jobs: list[J]) -> None:
        self._busy.update(job.lane for job in jobs)
        task = asyncio.create_task(self._deliver(jobs), name=f"{self._pace.name}:{jobs[0].id}")
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self.wake()  # more may be due: the next event of a subject, the rest of a backlog

    async def _deliver(self, jobs: list[J]) -> None:
        try:
            results = await self._send(jobs)
            await self._record(list(zip(jobs, results, strict=True)))
        except Exception:  # not recorded: the claims lapse and the work is sent again
            self._log.exception(f"{self._pace.name}.record_failed", ids=[str(j.id) for j in jobs])
        finally:
            self._busy.subtract(job.lane for job in jobs)
            for lane in [lane for lane, n in self._busy.items() if n <= 0]:
                del self._busy[lane]
