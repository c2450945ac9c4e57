"""Scheduled jobs: in-process in ``signoff serve`` by default, or alone in ``signoff worker``.

Each run of a job is one transaction of its own. A failing run is logged and retried at
the next interval; it never stops the scheduler.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.runtime import AccountsRuntime
from signoff.audit.service import append as audit_append
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.idempotency import IdempotencyRecord
from signoff.core.logging import get_logger
from signoff.registers.jobs import mark_overdue_questions
from signoff.review.jobs import expire_approvals

log = get_logger("signoff.worker")

JobFn = Callable[[AsyncSession, datetime], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    every_s: float
    run: JobFn


def jobs(settings: Settings, accounts: AccountsRuntime) -> list[Job]:
    return [
        Job(
            "rotate_signing_keys", settings.worker.key_rotation_check_s, accounts.keys.rotate_if_due
        ),
        Job("purge_idempotency_keys", settings.worker.purge_interval_s, purge_idempotency_keys),
        Job("mark_overdue_questions", settings.worker.overdue_check_s, overdue_questions),
        Job("expire_approvals", settings.worker.approval_expiry_check_s, expired_approvals),
    ]


async def overdue_questions(session: AsyncSession, now: datetime) -> int:
    return await mark_overdue_questions(session, now, listeners=(audit_append,))


async def expired_approvals(session: AsyncSession, now: datetime) -> int:
    return await expire_approvals(session, now, listeners=(audit_append,))


async def purge_idempotency_keys(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class Scheduler:
    def __init__(self, db: Database, clock: Clock, jobs: list[Job]) -> None:
        self._db = db
        self._clock = clock
        self.jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    async def run_once(self, job: Job) -> object:
        async with self._db.session() as session:
            result = await job.run(session, self._clock.now())
            await session.commit()
        return result

    async def _loop(self, job: Job) -> None:
        # Jitter keeps several instances from running the same job in lockstep.
        await asyncio.sleep(random.uniform(0, min(job.every_s, 5.0)))  # noqa: S311
        while True:
            try:
                result = await self.run_once(job)
                log.debug("job.done", job=job.name, result=result)
            except Exception:
                log.exception("job.failed", job=job.name)
            await asyncio.sleep(job.every_s)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(j), name=f"job:{j.name}") for j in self.jobs]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


async def run_worker(settings: Settings) -> None:
    """``signoff worker``: the jobs, without the HTTP server, until SIGTERM or SIGINT."""
    import signal

    from signoff.core.clock import SystemClock

    db = Database.from_settings(settings.database)
    accounts = AccountsRuntime.from_settings(settings)
    scheduler = Scheduler(db, SystemClock(), jobs(settings, accounts))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    log.info("worker.started", jobs=[j.name for j in scheduler.jobs])
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
        await accounts.close()
        await db.dispose()
        log.info("worker.stopped")
