"""One HTTP attempt of a delivery: signed, bounded in time, redirects not followed."""

from __future__ import annotations

import asyncio
import time

import httpx
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from signoff.core.clock import Clock
from signoff.core.logging import get_logger
from signoff.core.tracecontext import NOT_TRACED, Continuation, trace_headers
from signoff.webhooks import signing
from signoff.webhooks.policies import is_success
from signoff.webhooks.queue import AttemptResult, Job
from signoff.webhooks.transport import UnsafeAddress

log = get_logger("signoff.webhooks")

EXCERPT_BYTES = 1024


class Sender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        timeout_s: float,
        spans: Continuation = NOT_TRACED,
    ) -> None:
        self._client = client
        self._clock = clock
        self._timeout = timeout_s
        self._spans = spans

    async def send(self, job: Job) -> AttemptResult:
        """Make the attempt and say how it went; never raises. The attempt continues the
        trace of the write that recorded the event."""
        attributes: dict[str, AttributeValue] = {
            "signoff.event.id": str(job.event_id),
            "signoff.delivery.id": str(job.id),
            "signoff.webhook.id": str(job.webhook_id),
            "signoff.attempt": job.attempt,
        }
        with self._spans.span(
            "webhook deliver", job.traceparent, kind=SpanKind.PRODUCER, attributes=attributes
        ) as span:
            result = await self._attempt(job)
            span.set_attribute("signoff.result", result.kind)
            if result.status_code is not None:
                span.set_attribute("http.response.status_code", result.status_code)
            return result

    async def _attempt(self, job: Job) -> AttemptResult:
        attempted_at = self._clock.now()
        timestamp = int(attempted_at.timestamp())
        headers = {
            "Content-Type": "application/json",
            # Raw bytes are read for the excerpt: no decompressing what a receiver sends.
            "Accept-Encoding": "identity",
            **signing.headers(job.secrets, str(job.event_id), timestamp, job.body),
            # The receiver may continue the trace (httpx's instrumentation, when on, puts
            # its own client span's here instead).
            **trace_headers(job.traceparent),
        }
        began = time.perf_counter()
        status: int | None = None
        excerpt: str | None = None
        try:
            # httpx's timeout bounds each read; this bounds the whole attempt (a receiver
            # that trickles one byte a second must not hold a delivery for ever).
            async with asyncio.timeout(self._timeout):
                async with self._client.stream(
                    "POST", job.url, content=job.body, headers=headers
                ) as response:
                    status = response.status_code
                    excerpt = await _excerpt(response)
            kind, error = ("success" if is_success(status) else "http_error"), None
        except Exception as exc:
            kind, error = self._failure(job, exc)
            if kind == "timeout" and status is not None and is_success(status):
                # The receiver accepted it; only the body (which nobody needs) was slow.
                kind, error = "success", None
        return AttemptResult(
            attempted_at=attempted_at,
            duration_ms=round((time.perf_counter() - began) * 1000, 2),
            status_code=status,
            succeeded=kind == "success",
            excerpt=excerpt,
            error=error,
            kind=kind,
        )

    def _failure(self, job: Job, exc: Exception) -> tuple[str, str]:
        """The attempts metric's label and the logged error for a failed attempt."""
        if isinstance(exc, UnsafeAddress):
            return "refused", str(exc)
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            return "timeout", f"no complete response within {self._timeout:g} s"
        if isinstance(exc, httpx.HTTPError):
            kind = "connect_error" if isinstance(exc, httpx.ConnectError) else "error"
            return kind, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        # A bug here must not stop the engine: the attempt failed, and the stack is logged.
        log.error("webhooks.send_failed", delivery_id=str(job.id), exc_info=exc)
        return "error", type(exc).__name__


async def _excerpt(response: httpx.Response) -> str | None:
    data = bytearray()
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= EXCERPT_BYTES:
            break
    return bytes(data[:EXCERPT_BYTES]).decode("utf-8", "replace") or None
