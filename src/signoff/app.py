"""``create_app(settings)``: wiring of settings, infrastructure, middleware and routers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

import signoff
from signoff import api
from signoff.accounts.authenticator import AccountsAuthenticator
from signoff.accounts.runtime import AccountsRuntime
from signoff.audit.service import append as audit_append
from signoff.core import cpu, tracing
from signoff.core.access_cache import AccessCache
from signoff.core.auth import Authenticator
from signoff.core.clock import Clock, SystemClock
from signoff.core.config import Environment, Settings, load_settings
from signoff.core.cpu import CpuPool
from signoff.core.db import Database
from signoff.core.idempotency import install_idempotency
from signoff.core.logging import configure_logging, get_logger
from signoff.core.metrics import Metrics
from signoff.core.middleware import BodyLimitMiddleware, EdgeMiddleware, TimeoutMiddleware
from signoff.core.openapi import install_openapi, openapi_document, operation_id
from signoff.core.pagination import CursorCodec
from signoff.core.problems import install_problem_handlers
from signoff.core.requestlimit import LimitedAuthenticator, RequestLimiter
from signoff.documents.rendering import RenderCache
from signoff.inbound.consumer import InboundConsumer, asgi_handler
from signoff.inbound.throttle import InboundThrottle
from signoff.migrations.runner import head_revision
from signoff.registers.projection import Projector
from signoff.registers.summary import register_counts
from signoff.review.keeper import ReviewKeeper
from signoff.runtime import health
from signoff.runtime.serving import DrainMiddleware
from signoff.runtime.worker import Background
from signoff.traceability.links import LinkKeeper
from signoff.web.assembly import install_web
from signoff.webhooks.runtime import WebhooksRuntime

log = get_logger("signoff.app")

DESCRIPTION = """\
Design documents on a standard template, traced from requirements through sections to API
operations and tests, reviewed section by section, and signed off.

Every error is `application/problem+json` (RFC 9457) with a stable `code`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    authenticator: Authenticator | None = None,
    span_exporter: SpanExporter | None = None,
) -> FastAPI:
    settings = settings or load_settings()
    db = database or Database.from_settings(settings.database)
    clock = clock or SystemClock()
    metrics = Metrics()
    metrics.watch_pools(db.engines)
    accounts = AccountsRuntime.from_settings(settings)
    webhooks = WebhooksRuntime.from_settings(settings)
    background = Background.build(settings, db, clock, metrics, accounts, webhooks)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info(
            "app.started", version=signoff.__version__, env=settings.env.value, database=db.dialect
        )
        if settings.worker.in_process:
            await background.start_at_schema_head(db)
        # The document workers start now, beside the serving loop, not on the first large
        # request (nor before readiness: they are not needed to answer most requests).
        starting = cpu.in_daemon_thread(partial(cpu.start, settings.cpu))
        if settings.api_docs:  # built in a thread now, not on the loop at the first request
            asyncio.create_task(openapi_document(app))  # noqa: RUF006 - kept in app.state
        # Everything alive now (modules, the app) lives as long as the process: take it out
        # of the collector's generations, so that full collections, which otherwise walk
        # ~200k such objects for nothing, stop adding 100 ms pauses to requests
        # (bench/documents.py: parse p95 with and without).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            starting.cancel()
            await background.stop()
            await accounts.close()
            await db.dispose()
            if tracer is not None:
                tracer.shutdown()  # exports the spans still in its batch

    app = FastAPI(
        title="Signoff",
        version=signoff.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        debug=settings.debug,
        redoc_url=None,
        docs_url=None,  # served by signoff.web.docs, offline
        openapi_url="/openapi.json" if settings.api_docs else None,
        redirect_slashes=False,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock
    app.state.metrics = metrics
    app.state.accounts = accounts
    app.state.inbound_throttle = InboundThrottle(
        settings.throttle, settings.secret_key.get_secret_value(), settings.redis
    )
    app.state.webhooks = webhooks
    app.state.background = background
    # Events committed by a request wake the in-process relay (a no-op when it is not running).
    app.state.events_committed = background.relay.wake
    # Every authenticated request is counted against the caller's request limits (§10.5).
    app.state.authenticator = LimitedAuthenticator(
        authenticator or AccountsAuthenticator(accounts),
        RequestLimiter(
            settings.request_limits, settings.redis, settings.secret_key.get_secret_value(), metrics
        ),
    )
    # Who may do what, cached per process; changes to it invalidate it when they commit.
    app.state.access_cache = AccessCache(settings.auth.access_cache_ttl_s)
    # Every recorded event is also appended to the audit log, in the same transaction.
    app.state.event_listeners = (audit_append, app.state.access_cache.listener())
    cursors = CursorCodec(settings.secret_key.get_secret_value())
    # Kept in step with each new revision: the registers and trace links (projections of the
    # text), then the open review round (stale approvals dismissed, completion checked).
    # Order matters: trace links read the requirement rows the projector has just written,
    # and the round reads the blocking questions.
    app.state.revision_listeners = (Projector, LinkKeeper, partial(ReviewKeeper, cursors=cursors))
    # What a document's JSON shows besides its own fields, by name.
    app.state.document_summaries = {"registers": register_counts}
    app.state.cursors = cursors
    app.state.render_cache = RenderCache(settings.documents.render_cache_bytes)
    app.state.cpu = CpuPool(settings.cpu)
    app.state.readiness_checks = readiness_checks(settings, db)

    if settings.nats.url is not None and settings.nats.inbound_subject is not None:
        handle, close = asgi_handler(app)
        background.add(InboundConsumer(settings.nats, handle), close)

    install_problem_handlers(app)
    install_idempotency(app)
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(api.root)
    for router in api.ROUTERS:
        app.include_router(router, prefix=api.PREFIX)
    install_web(app, settings)
    _add_middleware(app, settings, metrics)
    # Off unless SIGNOFF_TRACING__OTLP_ENDPOINT is set (or a test gives an exporter).
    tracer = tracing.tracer_provider(settings.tracing, span_exporter)
    if tracer is not None:
        tracing.instrument(app, db.engines(), tracer)
    app.state.tracer_provider = tracer
    return app


def readiness_checks(settings: Settings, db: Database) -> dict[str, health.Check]:
    checks = {
        "database": health.database_check(db),
        "migrations": health.migrations_check(db, head_revision()),
    }
    if db.replica is not None:
        checks["database_replica"] = health.database_check(db, replica=True)
    if settings.redis.url is not None:
        checks["redis"] = health.redis_check(settings.redis.url.get_secret_value())
    if settings.nats.url is not None:
        checks["nats"] = health.nats_check(settings.nats.url.get_secret_value())
    return checks


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    # Starlette wraps in reverse: the last one added is the outermost.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    app.add_middleware(TimeoutMiddleware, seconds=settings.server.request_timeout_s)
    app.add_middleware(GZipMiddleware, minimum_size=settings.server.gzip_min_bytes)
    if settings.cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors.allow_origins,
            allow_credentials=settings.cors.allow_credentials,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "Idempotent-Replayed",
            ],
            max_age=settings.cors.max_age_s,
        )
    # Inside the edge, so refusals while the server stops are logged and counted.
    app.add_middleware(DrainMiddleware)
    app.add_middleware(EdgeMiddleware, metrics=metrics, hsts=settings.env is Environment.PRODUCTION)


def app_from_environment() -> FastAPI:
    """The factory ``signoff serve`` gives uvicorn (each worker process calls it)."""
    settings = load_settings()
    configure_logging(settings.log.level, settings.log_format, debug=settings.debug)
    app = create_app(settings)
    if app.state.tracer_provider is not None:
        tracing.instrument_outgoing_http(app.state.tracer_provider)
    return app
