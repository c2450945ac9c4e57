"""Background work: scheduled jobs, the outbox relay, webhook deliveries and email notices.

It runs in-process in ``signoff serve`` by default, or alone in ``signoff worker``. Each job
run, relay step and delivery step is one transaction, committed here (``Transactions``) and
nowhere else. A failing step is logged and retried at the next interval; it never stops the
rest. Several processes may run it at once: the relay and the deliveries share their work
through row locks (PostgreSQL), and SQLite serializes writers.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from signoff.accounts.runtime import AccountsRuntime
from signoff.audit.service import append as audit_append
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.idempotency_records import purge_expired
from signoff.core.logging import get_logger
from signoff.core.metrics import Metrics
from signoff.core.tracecontext import Continuation
from signoff.delivery.engine import Engine, Pace, each
from signoff.delivery.retention import purge_settled_events
from signoff.inbound.retention import purge_inbox
from signoff.migrations.runner import head_revision, schema_behind, schema_revision
from signoff.notify.mailer import Mailer
from signoff.notify.messages import Links
from signoff.notify.metrics import NoticeMetrics
from signoff.notify.models import EmailNotice
from signoff.notify.queue import Letter, NoticeQueue, SendResult
from signoff.outbox.jetstream import JetStreamPublisher
from signoff.outbox.notifications import OutboxNotifications
from signoff.outbox.relay import Destination, OutboxRelay, outbox_gauges
from signoff.registers.jobs import mark_overdue_questions
from signoff.review.jobs import expire_approvals
from signoff.webhooks.metrics import WebhookMetrics
from signoff.webhooks.models import WebhookDelivery
from signoff.webhooks.queue import AttemptResult, DeliveryQueue
from signoff.webhooks.queue import Job as Delivery
from signoff.webhooks.runtime import WebhooksRuntime
from signoff.webhooks.sender import Sender
from signoff.webhooks.transport import webhook_client

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from signoff.inbound.consumer import InboundConsumer

log = get_logger("signoff.worker")

T = TypeVar("T")
JobFn = Callable[[AsyncSession, datetime], Awaitable[object]]
# The two channels on the one delivery engine (``delivery``): webhooks over HTTP, email.
DeliveryEngine = Engine[Delivery, AttemptResult]
NoticeEngine = Engine[Letter, SendResult]
QUEUES = (WebhookDelivery, EmailNotice)  # what retention purges with the events


class Transactions:
    """The worker's unit of work: each call is one transaction, committed when ``work``
    returns and rolled back when it raises (``core.db.Transact``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._db.session() as session:
            result = await work(session)
            await session.commit()
        return result


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
        Job("purge_settled_events", settings.worker.purge_interval_s, settled_events(settings)),
        Job("purge_inbox", settings.worker.purge_interval_s, old_inbox_entries(settings)),
    ]


def settled_events(settings: Settings) -> JobFn:
    retention = timedelta(days=settings.worker.event_retention_days)
    batch = settings.worker.purge_batch

    async def purge(session: AsyncSession, now: datetime) -> int:
        # A batch per transaction, so a large backlog never holds a long write lock.
        purged = 0
        while True:
            done = await purge_settled_events(
                session, now, retention=retention, batch=batch, queues=QUEUES
            )
            purged += done
            if done < batch:
                return purged
            await session.commit()

    return purge


def old_inbox_entries(settings: Settings) -> JobFn:
    retention = timedelta(days=settings.worker.inbox_retention_days)
    batch = settings.worker.purge_batch

    async def purge(session: AsyncSession, now: datetime) -> int:
        purged = 0
        while True:  # a batch per transaction, as for the events
            done = await purge_inbox(session, now, retention=retention, batch=batch)
            purged += done
            if done < batch:
                return purged
            await session.commit()

    return purge


async def overdue_questions(session: AsyncSession, now: datetime) -> int:
    return await mark_overdue_questions(session, now, listeners=(audit_append,))


async def expired_approvals(session: AsyncSession, now: datetime) -> int:
    return await expire_approvals(session, now, listeners=(audit_append,))


async def purge_idempotency_keys(session: AsyncSession, now: datetime) -> int:
    return await purge_expired(session, now)


class Scheduler:
    def __init__(self, db: Database, clock: Clock, jobs: list[Job]) -> None:
        self._transact = Transactions(db)
        self._clock = clock
        self.jobs = jobs
        self._tasks: list[asyncio.Task[None]] = []

    async def run_once(self, job: Job) -> object:
        return await self._transact(lambda session: job.run(session, self._clock.now()))

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


class Service(Protocol):
    def start(self) -> None: ...
    async def stop(self) -> None: ...


class Background:
    """Everything that runs beside the HTTP server, started and stopped together."""

    def __init__(
        self,
        scheduler: Scheduler,
        relay: OutboxRelay,
        engine: DeliveryEngine,
        notices: NoticeEngine | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.relay = relay
        self.engine = engine
        self.services: list[Service] = []
        self.notices = notices  # None: no SMTP server configured, no email
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._waiting: asyncio.Task[None] | None = None

    def add(self, service: Service, close: Callable[[], Awaitable[None]] | None = None) -> None:
        """Another loop to run beside the others (the NATS inbound consumer)."""
        self.services.append(service)
        if close is not None:
            self._closers.append(close)

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        clock: Clock,
        metrics: Metrics,
        accounts: AccountsRuntime,
        webhooks: WebhooksRuntime,
        extra_jobs: list[Job] | None = None,
        tracer: TracerProvider | None = None,
    ) -> Background:
        transact = Transactions(db)
        # Deliveries continue the trace of the write that recorded their event.
        spans = Continuation(tracer, "signoff.outbox")
        webhook_metrics = WebhookMetrics(metrics.registry)
        metrics.before_scrape(outbox_gauges(db, metrics, clock))
        metrics.before_scrape(webhook_metrics.circuit_refresher(db))
        hooks = settings.webhooks
        client = webhook_client(webhooks.policy, hooks.timeout_s, max_connections=hooks.concurrency)
        queue = DeliveryQueue(webhooks)
        sender = Sender(client, clock, hooks.timeout_s, spans)
        # Up to ``concurrency`` attempts at once, each its own round.
        pace = Pace("webhooks", hooks.concurrency, 1, hooks.poll_interval_s, hooks.timeout_s)
        engine = DeliveryEngine(
            transact, queue, each(sender.send), clock, pace, webhook_metrics.observe
        )
        destinations: list[Destination] = [queue.fan_out]
        notices = None
        if settings.smtp.enabled:
            notice_queue, notices = email_notices(settings, db, clock, metrics, spans)
            destinations.append(notice_queue.fan_out)

        def fanned_out() -> None:
            engine.wake()
            if notices is not None:
                notices.wake()

        relay = OutboxRelay(
            transact,
            clock,
            destinations,
            stream=JetStreamPublisher(settings.nats, spans) if settings.nats.url else None,
            batch_size=settings.worker.outbox_batch,
            poll_s=settings.worker.outbox_poll_s,
            metrics=metrics,
            on_fanned_out=fanned_out,
        )
        scheduler = Scheduler(db, clock, [*jobs(settings, accounts), *(extra_jobs or [])])
        background = cls(scheduler, relay, engine, notices)
        background._closers.append(client.aclose)
        if db.dialect == "postgresql" and isinstance(db.primary, AsyncEngine):
            # Woken by the commits of other processes too, not only by their next poll.
            background.add(OutboxNotifications(db, relay.wake))
        return background

    def start(self) -> None:
        self.scheduler.start()
        self.relay.start()
        self.engine.start()
        for service in self.services:
            service.start()
        if self.notices is not None:
            self.notices.start()

    async def start_at_schema_head(self, db: Database) -> None:
        """Start now when the database is at the code's migration; else wait for it, with
        one log line, and start then. Before `signoff db upgrade` every loop would fail on
        missing tables and log a traceback at each turn (70 KB in 5 s)."""
        head = head_revision()
        current = await _revision(db)
        if current == head:
            self.start()
            return
        log.warning("background.waiting_for_schema", detail=schema_behind(current, head))
        self._waiting = asyncio.create_task(self._start_at(db, head), name="background:schema")

    async def _start_at(self, db: Database, head: str | None) -> None:
        # Another process migrates: there is nothing in this one to wait on but the table.
        while await _revision(db) != head:  # noqa: ASYNC110
            await asyncio.sleep(SCHEMA_POLL_S)
        log.info("background.schema_ready", revision=head)
        self.start()

    async def stop(self) -> None:
        if self._waiting is not None:
            self._waiting.cancel()
            await asyncio.gather(self._waiting, return_exceptions=True)
        for service in self.services:
            await service.stop()
        await self.relay.stop()
        await self.engine.stop()
        if self.notices is not None:
            await self.notices.stop()
        await self.scheduler.stop()
        for close in self._closers:
            await close()


# How often background work that waits for `signoff db upgrade` looks again.
SCHEMA_POLL_S = 2.0


async def _revision(db: Database) -> str | None:
    try:
        return await schema_revision(db)
    except Exception:  # unreachable for now: waiting is what to do, as for an old schema
        log.debug("background.schema_unknown", exc_info=True)
        return None


def email_notices(
    settings: Settings, db: Database, clock: Clock, metrics: Metrics, spans: Continuation
) -> tuple[NoticeQueue, NoticeEngine]:
    """The email destination and its sender, when an SMTP server is configured."""
    smtp = settings.smtp
    notice_metrics = NoticeMetrics(metrics.registry)
    metrics.before_scrape(notice_metrics.backlog_refresher(db))
    queue = NoticeQueue(smtp, Links(settings.server.public_url or ""))
    # One round at a time, over one connection: what SMTP servers like.
    pace = Pace("notify", 1, smtp.batch, smtp.poll_interval_s, smtp.timeout_s)
    mailer = Mailer(smtp, clock, spans)
    engine = NoticeEngine(Transactions(db), queue, mailer.send, clock, pace, notice_metrics.observe)
    return queue, engine


@dataclass
class WorkerParts:
    """What ``signoff worker`` runs, built apart from its signals so tests build the same."""

    db: Database
    background: Background
    accounts: AccountsRuntime
    tracer: SdkTracerProvider | None
    consumer: InboundConsumer | None

    async def close(self) -> None:
        await self.background.stop()
        await self.accounts.close()
        await self.db.dispose()
        if self.tracer is not None:
            from signoff.core import tracing

            self.tracer.shutdown()  # exports the spans still in its batch
            tracing.uninstrument_outgoing_http()


def build_worker(settings: Settings, exporter: SpanExporter | None = None) -> WorkerParts:
    """The worker's parts. Its tracing (design §13.3) is off unless configured (``exporter``:
    tests, as ``create_app``'s): its deliveries and the inbound messages it consumes continue
    the traces of what caused them, with their SQL and outgoing HTTP as child spans."""
    from signoff.core import tracing
    from signoff.core.clock import SystemClock

    db = Database.from_settings(settings.database)
    tracer = tracing.tracer_provider(settings.tracing, exporter)
    if tracer is not None:
        tracing.instrument_outgoing_http(tracer)
        tracing.instrument_engines(db.engines(), tracer)
    accounts = AccountsRuntime.from_settings(settings)
    metrics = Metrics()
    extra = []
    if settings.worker.metrics_port is not None:
        extra.append(_serve_metrics(settings, metrics))
    clock = SystemClock()
    webhooks = WebhooksRuntime.from_settings(settings)
    background = Background.build(
        settings, db, clock, metrics, accounts, webhooks, extra, tracer=tracer
    )
    consumer = None
    if settings.nats.url is not None and settings.nats.inbound_subject is not None:
        # The consumer applies each message through the inbound service, as the route does.
        from signoff.runtime.inbound import inbound_consumer
        from signoff.runtime.services import build_services

        services = build_services(
            settings,
            db,
            clock,
            metrics,
            events_committed=background.relay.wake,
            runtimes=(accounts, webhooks, background),
            tracer_provider=tracer,
        )
        consumer = inbound_consumer(services)
        background.add(consumer)
    return WorkerParts(db, background, accounts, tracer, consumer)


async def run_worker(settings: Settings) -> None:
    """``signoff worker``: the background work without the HTTP server, until SIGTERM."""
    import signal

    # Every model, as in the app: a foreign key's column type comes from the table it
    # references, so a table whose model was never imported would leave it untyped.
    import signoff.migrations.metadata  # noqa: F401

    worker = build_worker(settings)
    background = worker.background
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await background.start_at_schema_head(worker.db)
    log.info("worker.started", jobs=[j.name for j in background.scheduler.jobs])
    try:
        await stop.wait()
    finally:
        await worker.close()
        log.info("worker.stopped")


def _serve_metrics(settings: Settings, metrics: Metrics) -> Job:
    """Serve /metrics on the worker port; gauges read from the database are refreshed by a
    job, as the exporter's thread cannot run the async refresh at scrape time."""
    from prometheus_client import start_http_server

    assert settings.worker.metrics_port is not None
    start_http_server(settings.worker.metrics_port, settings.server.host, metrics.registry)

    async def refresh_metrics(_session: AsyncSession, _now: datetime) -> None:
        await metrics.refresh()

    return Job("refresh_metrics", settings.worker.metrics_refresh_s, refresh_metrics)
