"""``create_app(settings)``: wiring of settings, infrastructure, middleware and routers."""

from __future__ import annotations

import asyncio
import gc
import re
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
from signoff.core import cpu, tracing
from signoff.core.authenticator import Authenticator
from signoff.core.clock import Clock, SystemClock
from signoff.core.config import Environment, Settings, load_settings
from signoff.core.db import Database
from signoff.core.fastlane import FastLane, Lane, Route, static_lane
from signoff.core.idempotency import install_idempotency
from signoff.core.logging import configure_logging, get_logger
from signoff.core.metrics import Metrics
from signoff.core.middleware import BodyLimitMiddleware, EdgeMiddleware, TimeoutMiddleware
from signoff.core.openapi import install_openapi, openapi_document, operation_id
from signoff.core.problems import install_problem_handlers
from signoff.core.requestlimit import LimitedAuthenticator, RequestLimiter
from signoff.core.services import Check, Services
from signoff.documents.fastlane import DOCUMENT_PATH, LIST_PATH, document_lane, list_lane
from signoff.documents.runtime import DocumentsRuntime
from signoff.migrations.runner import head_revision
from signoff.orgs.fastlane import Gate
from signoff.orgs.service.request_limits import OrgBudgetCache
from signoff.runtime import health
from signoff.runtime.health import liveness
from signoff.runtime.inbound import inbound_consumer
from signoff.runtime.services import build_services
from signoff.runtime.serving import DrainMiddleware
from signoff.runtime.worker import Background
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
    # Off unless SIGNOFF_TRACING__OTLP_ENDPOINT is set (or a test gives an exporter).
    tracer = tracing.tracer_provider(settings.tracing, span_exporter)
    background = Background.build(settings, db, clock, metrics, accounts, webhooks, tracer=tracer)

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
    # Every authenticated request is counted against the caller's request limits (§10.5),
    # the server's and those its organization set itself.
    org_budgets = OrgBudgetCache()
    limited = LimitedAuthenticator(
        authenticator or AccountsAuthenticator(accounts),
        RequestLimiter(
            settings.request_limits,
            settings.redis,
            settings.secret_key.get_secret_value(),
            metrics,
            org_budgets,
        ),
    )
    services = build_services(
        settings,
        db,
        clock,
        metrics,
        events_committed=background.relay.wake,
        runtimes=(accounts, webhooks, background, org_budgets),
        authenticator=limited,
        readiness_checks=readiness_checks(settings, db),
        tracer_provider=tracer,
    )
    app.state.services = services

    if settings.nats.url is not None and settings.nats.inbound_subject is not None:
        background.add(inbound_consumer(services))

    install_problem_handlers(app)
    install_idempotency(app)
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(api.root)
    for router in api.ROUTERS:
        app.include_router(router, prefix=api.PREFIX)
    install_web(app, settings)
    lanes = fast_lanes(services, limited, org_budgets) if settings.server.fast_lane else []
    _add_middleware(app, settings, metrics, lanes)
    if tracer is not None:
        tracing.instrument(app, db.engines(), tracer)
    return app


def readiness_checks(settings: Settings, db: Database) -> dict[str, Check]:
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


def fast_lanes(
    services: Services,
    limited: LimitedAuthenticator,
    budgets: OrgBudgetCache,
) -> list[Lane]:
    """The requests answered before the framework (core.fastlane): liveness always; the
    document read when the credentials are Signoff's own (a test's authenticator is not
    one the lane knows how to consult without the database), and no read replica is
    configured: the full app's routes apply the replica's fallback rule (core/replica.py),
    the lane does not (yet)."""
    lanes = [
        Lane("GET", re.compile("/health/live"), Route("/health/live"), static_lane(liveness()))
    ]
    if isinstance(limited.inner, AccountsAuthenticator) and services.db.gate is None:
        gate = Gate(limited.inner, services.access_cache, limited.limiter, budgets)
        reads = document_lane(
            gate,
            services.db,
            services.cursors,
            services.part(DocumentsRuntime).render_cache,
            services.metrics,
        )
        documents = f"{api.PREFIX}/orgs/{{org}}/documents"
        lanes.append(Lane("GET", DOCUMENT_PATH, Route(documents + "/{doc}"), reads))
        listed = list_lane(gate, services.db, services.cursors, services.metrics)
        lanes.append(Lane("GET", LIST_PATH, Route(documents), listed))
    return lanes


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics, lanes: list[Lane]) -> None:
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
    # Outside CORS, gzip, the timeout and the body limit (what it needs of them: core.fastlane),
    # inside the drain and the edge, which apply to every request.
    if lanes:
        app.add_middleware(
            FastLane,
            lanes=lanes,
            cors=bool(settings.cors.allow_origins),
            gzip_min_bytes=settings.server.gzip_min_bytes,
        )
    # Inside the edge, so refusals while the server stops are logged and counted.
    app.add_middleware(DrainMiddleware)
    app.add_middleware(
        EdgeMiddleware,
        metrics=metrics,
        hsts=settings.env is Environment.PRODUCTION,
        access_sample=settings.log.access_sample,
    )


def app_from_environment() -> FastAPI:
    """The factory ``signoff serve`` gives uvicorn (each worker process calls it)."""
    settings = load_settings()
    configure_logging(settings.log.level, settings.log_format, debug=settings.debug)
    app = create_app(settings)
    tracer = Services.of(app).tracer_provider
    if tracer is not None:
        tracing.instrument_outgoing_http(tracer)
    return app
