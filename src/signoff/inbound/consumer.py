"""Inbound requirement events from NATS JetStream, applied by the same service as
``POST /v1/orgs/{org}/inbound/requirements`` (``signoff.runtime.inbound``), so signature,
idempotency, ordering, the transaction and the audit are the same whichever way an event
arrives.

A message carries the event as its data and the Standard Webhooks headers
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) plus ``Signoff-Org`` (the
organization's slug). It is acknowledged when the handler answers 2xx; terminated (never
redelivered, logged) when it answers a refusal that retrying cannot change (400, 401, 404,
413, 415, 422); and redelivered later otherwise (a conflict, a 5xx, the database away).

Each message is handled in a consumer span (design §13.3) that continues the ``traceparent``
the message carries (a Signoff relay's publish span, or an upstream producer's), so its SQL
and the events it records are found under the trace that sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from signoff.core.config import NatsSettings
from signoff.core.logging import get_logger
from signoff.core.tracecontext import NOT_TRACED, Continuation

log = get_logger("signoff.inbound")

# (org slug, headers, body) -> (status code, problem code or outcome)
Handler = Callable[[str, dict[str, str], bytes], Awaitable[tuple[int, str]]]
FINAL = {400, 401, 404, 413, 415, 422}


class InboundConsumer:
    def __init__(
        self, settings: NatsSettings, handle: Handler, tracer: TracerProvider | None = None
    ) -> None:
        assert settings.url is not None
        assert settings.inbound_subject is not None
        self._settings = settings
        self._handle = handle
        self._spans = Continuation(tracer, "signoff.inbound") if tracer else NOT_TRACED
        self._nc: Any = None
        self._sub: Any = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        import nats
        from nats.js.api import AckPolicy, ConsumerConfig
        from nats.js.errors import NotFoundError

        s = self._settings
        assert s.url is not None
        async with asyncio.timeout(s.publish_timeout_s):
            self._nc = await nats.connect(
                s.url.get_secret_value(),
                name="signoff-inbound",
                connect_timeout=min(s.publish_timeout_s, 2.0),
                allow_reconnect=False,
                max_reconnect_attempts=1,
            )
        js = self._nc.jetstream(timeout=s.publish_timeout_s)
        try:
            await js.stream_info(s.inbound_stream)
        except NotFoundError:
            await js.add_stream(name=s.inbound_stream, subjects=[s.inbound_subject])
            log.info("nats.stream_created", stream=s.inbound_stream)
        self._sub = await js.pull_subscribe(
            s.inbound_subject,
            durable=s.inbound_durable,
            stream=s.inbound_stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=60, max_deliver=-1),
        )

    async def run_once(self, wait_s: float = 1.0) -> dict[str, int]:
        """Fetch a batch and handle each message; how many were acked, terminated, retried."""
        if self._sub is None:
            await self.connect()
        counts = {"acked": 0, "terminated": 0, "retried": 0}
        try:
            messages = await self._sub.fetch(self._settings.inbound_batch, timeout=wait_s)
        except TimeoutError:
            # Nothing came: nats-py raises its own TimeoutError or, from some of its waits,
            # the builtin one (its own is a subclass of it).
            return counts
        for msg in messages:
            counts[await self._one(msg)] += 1
        return counts

    async def _one(self, msg: Any) -> str:
        headers = {k.lower(): v for k, v in (msg.headers or {}).items()}
        org = headers.get("signoff-org", "")
        attributes = {
            "messaging.system": "nats",
            "messaging.operation": "process",
            "messaging.destination.name": msg.subject,
            "signoff.org": org,
        }
        traceparent = headers.get("traceparent")
        with self._spans.span(
            f"process {msg.subject}", traceparent, kind=SpanKind.CONSUMER, attributes=attributes
        ) as span:
            try:
                status, label = await self._handle(org, headers, msg.data)
            except Exception:
                log.exception("inbound.nats_failed", subject=msg.subject)
                status, label = 503, "handler_failed"
            span.set_attribute("signoff.outcome", label)
            if status >= 400:
                span.set_status(Status(StatusCode.ERROR, f"{status} {label}"))
        if 200 <= status < 300:
            await msg.ack()
            return "acked"
        if status in FINAL or not org:
            log.warning("inbound.nats_refused", subject=msg.subject, status=status, code=label)
            await msg.term()
            return "terminated"
        await msg.nak(delay=self._settings.inbound_redeliver_s)
        return "retried"

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbound-nats")

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once(wait_s=5.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("inbound.nats_unavailable", error=str(exc) or type(exc).__name__)
                await self.close()
                await asyncio.sleep(self._settings.reconnect_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.close()

    async def close(self) -> None:
        nc, self._nc, self._sub = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await nc.close()
