"""Distributed tracing with OpenTelemetry (design §13.3), off unless configured.

With ``SIGNOFF_TRACING__OTLP_ENDPOINT`` set, each app gets its own tracer provider (not the
global one, so that apps in one process, as in tests, never share spans) that exports in
batches over OTLP/HTTP: a server span per request (W3C ``traceparent`` honoured), a child
span per SQL statement run within a span on each engine, a consumer span per inbound NATS
message (core/tracecontext.py continues the traces the outbox carries), and a client span per
outgoing ``httpx`` request (webhooks, OIDC), in ``signoff serve`` and ``signoff worker``.
Log lines logged within a span carry its ``trace_id`` and ``span_id`` (core/logging.py).
Health probes and scrapes make no spans.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, get_current_span
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

import signoff
from signoff.core.config import TracingSettings

# Routes polled by probes and scrapers: spans of them would drown the useful ones.
UNTRACED = "/health/live,/health/ready,/metrics"


def tracer_provider(
    settings: TracingSettings, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """A provider exporting to the configured collector, or to ``exporter`` (tests: the
    SDK's in-memory exporter, synchronously); None when tracing is off."""
    if exporter is None and settings.otlp_endpoint is None:
        return None
    resource = Resource.create(
        {"service.name": settings.service_name, "service.version": signoff.__version__}
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio))
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider
    assert settings.otlp_endpoint is not None
    otlp = OTLPSpanExporter(
        endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces",
        timeout=settings.export_timeout_s,
    )
    provider.add_span_processor(BatchSpanProcessor(otlp))
    return provider


def instrument(
    app: FastAPI, engines: list[tuple[str, AsyncEngine]], provider: TracerProvider
) -> None:
    """Spans for the app's requests and the engines' statements."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED,
        # One span per request, not one more per ASGI message sent or received.
        exclude_spans=["receive", "send"],
    )
    instrument_engines(engines, provider)


def instrument_engines(engines: list[tuple[str, AsyncEngine]], provider: TracerProvider) -> None:
    """A span per SQL statement run inside a span (a request, a delivery, an inbound message)."""
    tracer = provider.get_tracer("signoff.db", signoff.__version__)
    for name, engine in engines:
        trace_statements(engine.sync_engine, tracer, name)


def instrument_outgoing_http(provider: TracerProvider) -> None:
    """Client spans for every ``httpx`` request of the process (webhooks, OIDC), with
    ``traceparent`` sent on. Process-wide: called once by the process's entry point, not per
    app (tests make many apps in one process)."""
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def uninstrument_outgoing_http() -> None:
    """Undo ``instrument_outgoing_http`` when the process's tracer shuts down: its spans
    would go to a provider that exports nothing any more (tests run on in one process)."""
    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


def trace_statements(engine: Engine, tracer: Tracer, pool: str) -> None:
    """A client span per statement, child of the span current when it runs (SQLAlchemy's
    async layer carries the context into its greenlet). Written here rather than taken
    from opentelemetry-instrumentation-sqlalchemy, which refuses SQLAlchemy 2.1. Statements
    run outside any span (the background loops' polls, every second) make none: as root spans
    they would drown the traces of work."""
    system = "postgresql" if engine.dialect.name == "postgresql" else engine.dialect.name

    @event.listens_for(engine, "before_cursor_execute")
    def _start(_conn: object, _cursor: object, statement: str, *args: object) -> None:
        if not get_current_span().get_span_context().is_valid:
            return
        context = args[1]
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            f"{operation} {system}",
            kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.statement": statement, "signoff.pool": pool},
        )
        setattr(context, "_signoff_span", span)  # noqa: B010 - a private slot on SQLAlchemy's object

    @event.listens_for(engine, "after_cursor_execute")
    def _end(_conn: object, _cursor: object, _statement: str, *args: object) -> None:
        span = getattr(args[1], "_signoff_span", None)
        if span is not None:
            span.end()

    @event.listens_for(engine, "handle_error")
    def _failed(error: ExceptionContext) -> None:
        span = getattr(error.execution_context, "_signoff_span", None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(error.original_exception).__name__))
            span.end()
