"""Publishing events to NATS JetStream, the optional event stream for other services.

Subject ``<prefix>.<org id, or "global">.<event type>`` (``signoff.0190….documents.approved``),
so consumers filter by organization and type with NATS wildcards. The stream (``signoff.>``)
is created when missing. The database stays the record of events: this is only a channel.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from opentelemetry.trace import SpanKind

from signoff.core.config import NatsSettings
from signoff.core.events import OutboxEvent
from signoff.core.logging import get_logger
from signoff.core.tracecontext import NOT_TRACED, Continuation, trace_headers

log = get_logger("signoff.outbox")


class JetStreamPublisher:
    def __init__(self, settings: NatsSettings, spans: Continuation = NOT_TRACED) -> None:
        self._spans = spans
        assert settings.url is not None
        self._url = settings.url.get_secret_value()
        self._stream = settings.stream
        self._prefix = settings.subject_prefix
        self._timeout = settings.publish_timeout_s
        self._reconnect_s = settings.reconnect_s
        self._nc: Any = None
        self._js: Any = None
        self._retry_at = 0.0

    def subject(self, event: OutboxEvent) -> str:
        return f"{self._prefix}.{event.org_id or 'global'}.{event.type}"

    async def ready(self) -> bool:
        """Connected (connecting if due); False while NATS is unreachable."""
        if self._nc is not None and self._nc.is_connected:
            return True
        if time.monotonic() < self._retry_at:
            return False
        try:
            await self._connect()
        except Exception as exc:
            log.warning("nats.unavailable", error=str(exc) or type(exc).__name__)
            await self.close()
            self._retry_at = time.monotonic() + self._reconnect_s
            return False
        return True

    async def publish(self, event: OutboxEvent) -> None:
        """Publish ``event``, continuing the trace of the write that recorded it; the message
        carries the publish span's ``traceparent`` to consumers."""
        subject = self.subject(event)
        payload = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)
        attributes = {
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.message.id": str(event.id),
        }
        with self._spans.span(
            f"publish {event.type}",
            event.traceparent,
            kind=SpanKind.PRODUCER,
            attributes=attributes,
        ):
            # JetStream drops a second message with the same id (within its window).
            headers = {"Nats-Msg-Id": str(event.id), **trace_headers(event.traceparent)}
            try:
                await self._js.publish(
                    subject, payload.encode(), timeout=self._timeout, headers=headers
                )
            except Exception:
                await self.close()
                raise

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.close()
            except Exception as exc:  # closing a broken connection may fail too
                log.debug("nats.close_failed", error=str(exc))

    async def _connect(self) -> None:
        import nats
        from nats.js.errors import NotFoundError

        async def quiet(exc: Exception) -> None:
            log.debug("nats.error", error=str(exc))

        # No automatic reconnection: the relay decides when to try again, and events wait.
        # (nats-py reads max_reconnect_attempts=0 as "forever", even for the first connect.)
        async with asyncio.timeout(self._timeout):
            self._nc = await nats.connect(
                self._url,
                name="signoff-relay",
                connect_timeout=min(self._timeout, 2.0),
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.1,
                error_cb=quiet,
            )
        self._js = self._nc.jetstream(timeout=self._timeout)
        try:
            await self._js.stream_info(self._stream)
        except NotFoundError:
            await self._js.add_stream(name=self._stream, subjects=[f"{self._prefix}.>"])
            log.info("nats.stream_created", stream=self._stream)
