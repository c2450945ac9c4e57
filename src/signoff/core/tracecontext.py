"""W3C trace context carried past a commit (design §13.3): a write's ``traceparent`` is
stored with each outbox event it records, and the work that delivers the event later (the
relay's NATS publish, a webhook attempt, an email) continues that trace, so the delivery is
found under the request that caused it. Only the OpenTelemetry API here: the relay and the
delivery engines use it and know no web framework."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

import signoff

_W3C = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span current now; None outside any (tracing off)."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def trace_headers(stored: str | None = None) -> dict[str, str]:
    """Headers that carry the trace on: the current span's, else the stored one's."""
    traceparent = current_traceparent() or stored
    return {"traceparent": traceparent} if traceparent else {}


class Continuation:
    """Starts the spans of deferred work as children of the context stored with it."""

    def __init__(self, provider: trace.TracerProvider | None, name: str) -> None:
        self._tracer = (
            provider.get_tracer(name, signoff.__version__)
            if provider is not None
            else trace.NoOpTracer()
        )

    @contextmanager
    def span(
        self,
        name: str,
        traceparent: str | None,
        *,
        kind: SpanKind,
        attributes: Mapping[str, AttributeValue],
    ) -> Iterator[Span]:
        # Without a stored context (an event recorded outside any trace) the span is a root:
        # never the child of whatever loop happens to run it.
        parent = _W3C.extract({"traceparent": traceparent}) if traceparent else Context()
        with self._tracer.start_as_current_span(
            name, context=parent, kind=kind, attributes=attributes
        ) as span:
            yield span


NOT_TRACED = Continuation(None, "signoff")
