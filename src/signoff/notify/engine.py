"""The notice sender: claims due notices, sends them in one round, records the results.

At least once: a notice is settled only after its attempt, so a crash between the two means
it is sent again once its claim lapses (with the same Message-ID). Every time that matters
(due, claimed until, retry at) is in the database, so a restart loses nothing and any
instance can carry on. One round at a time per process: mail volumes are small, and one
connection at a time is what SMTP servers like.
"""

from __future__ import annotations

import asyncio

from signoff.core.clock import Clock
from signoff.core.config import SmtpSettings
from signoff.core.db import Transact
from signoff.core.logging import get_logger
from signoff.core.wakeup import Wakeup
from signoff.notify.mailer import Mailer
from signoff.notify.metrics import NoticeMetrics
from signoff.notify.queue import Letter, NoticeQueue, Outcome, SendResult

log = get_logger("signoff.notify")


class NoticeEngine:
    def __init__(
        self,
        transact: Transact,
        queue: NoticeQueue,
        mailer: Mailer,
        clock: Clock,
        settings: SmtpSettings,
        metrics: NoticeMetrics | None = None,
    ) -> None:
        self._transact = transact
        self.queue = queue
        self._mailer = mailer
        self._clock = clock
        self._settings = settings
        self._metrics = metrics
        self._wake = Wakeup()
        self._stopping = False
        self._loop: asyncio.Task[None] | None = None
        self.attempts = 0  # made by this engine: tests compare instances

    def wake(self) -> None:
        """New notices may be due (the relay made some)."""
        self._wake.set()

    async def run_once(self) -> list[Outcome]:
        """Claim what is due (one batch), send it, record the results; returns the outcomes."""
        now = self._clock.now()
        letters = await self._transact(
            lambda session: self.queue.claim(session, now, self._settings.batch)
        )
        if not letters:
            return []
        results = await self._mailer.send(letters)
        pairs = list(zip(letters, results, strict=True))
        settled_at = self._clock.now()
        outcomes = await self._transact(
            lambda session: self.queue.record(session, pairs, settled_at)
        )
        self.attempts += len(letters)
        for (letter, result), outcome in zip(pairs, outcomes, strict=True):
            self._observe(letter, result, outcome)
        return outcomes

    def start(self) -> None:
        self._stopping = False
        self._loop = asyncio.create_task(self._run(), name="notify:engine")

    async def stop(self) -> None:
        """Let the round under way finish, then stop: a round cut between sending and
        recording sends its notices again once their claim lapses. The wait is one step's
        timeout, like the webhook engine's: a healthy server finishes a round well within
        it, and a sick one must not hold up a shutdown."""
        if self._loop is None:
            return
        self._stopping = True
        self._wake.set()
        await asyncio.wait({self._loop}, timeout=self._settings.timeout_s + 1)
        self._loop.cancel()
        await asyncio.gather(self._loop, return_exceptions=True)
        self._loop = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                while not self._stopping and await self.run_once():
                    pass  # a full batch may mean more are due now
            except Exception:  # the database may be away; try again at the next poll
                log.exception("notify.round_failed")
            await self._wake.wait(self._settings.poll_interval_s)

    def _observe(self, letter: Letter, result: SendResult, outcome: Outcome) -> None:
        if self._metrics is not None and outcome in (Outcome.SENT, Outcome.RETRYING, Outcome.DEAD):
            self._metrics.notices.labels(outcome=outcome.value).inc()
        log.info(
            "notify.attempt",
            notice_id=str(letter.notice_id),
            event_type=letter.event_type,
            attempt=letter.attempt,
            outcome=outcome.value,
            duration_ms=result.duration_ms,
            error=result.error,
        )
