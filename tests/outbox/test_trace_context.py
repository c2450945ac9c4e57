"""traceparent through the outbox (design §13.3): an event keeps the trace context of the
write that recorded it, and its delivery (a webhook attempt, the NATS publish) continues
that trace, with traceparent sent on to the receiver."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from signoff.app import create_app
from signoff.core.clock import SystemClock
from signoff.core.config import NatsSettings, Settings
from signoff.core.db import Database
from signoff.core.events import OutboxEvent
from signoff.core.tracecontext import Continuation
from signoff.delivery.outcome import Outcome
from signoff.outbox.jetstream import JetStreamPublisher
from signoff.outbox.relay import OutboxRelay
from signoff.runtime.worker import Transactions
from tests.support.identity import sign_up
from tests.support.jetstream import jetstream
from tests.support.receiver import Receiver, running_receiver
from tests.support.webhooks import background, record_events, subscribe_receiver, with_webhooks

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"


def hex_trace(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")


def hex_span(span: ReadableSpan) -> str:
    return format(span.context.span_id, "016x")


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def traced_app(
    settings: Settings, db: Database, exporter: InMemorySpanExporter
) -> AsyncIterator[FastAPI]:
    app = create_app(with_webhooks(settings), database=db, span_exporter=exporter)
    yield app
    await background(app).stop()


@pytest.fixture
async def traced(traced_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=traced_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as found:
        yield found


async def test_a_webhook_delivery_continues_the_trace_of_the_write(
    traced_app: FastAPI,
    traced: httpx.AsyncClient,
    exporter: InMemorySpanExporter,
    receiver: Receiver,
    db: Database,
) -> None:
    admin = await sign_up(traced)
    await subscribe_receiver(traced, admin, receiver, ["teams.*"])
    made = await traced.post(
        f"/v1/orgs/{admin.orgs[0]}/teams",
        json={"slug": "dba", "name": "DBA"},
        headers=admin.headers | {"traceparent": TRACEPARENT},
    )
    assert made.status_code == 201, made.text
    # The request continued its caller's trace.
    [server] = [
        s
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER and hex_trace(s) == TRACE_ID
    ]
    assert server.name == "POST /v1/orgs/{org}/teams"
    async with db.session() as session:
        stored = await session.scalar(
            select(OutboxEvent.traceparent).where(OutboxEvent.type == "teams.created")
        )
    assert stored == f"00-{TRACE_ID}-{hex_span(server)}-01"

    exporter.clear()
    await background(traced_app).relay.run_once()
    assert await background(traced_app).engine.run_once() == [Outcome.SUCCEEDED]

    [delivery] = [s for s in exporter.get_finished_spans() if s.name == "webhook deliver"]
    assert hex_trace(delivery) == TRACE_ID
    assert delivery.parent is not None
    assert format(delivery.parent.span_id, "016x") == hex_span(server)
    assert delivery.kind is SpanKind.PRODUCER
    assert delivery.attributes is not None
    assert delivery.attributes["signoff.result"] == "success"
    [received] = receiver.processed
    version, trace_id, parent_id, _flags = received.headers["traceparent"].split("-")
    assert (version, trace_id, parent_id) == ("00", TRACE_ID, hex_span(delivery))


async def test_without_a_callers_trace_the_delivery_continues_the_requests_own(
    traced_app: FastAPI, traced: httpx.AsyncClient, exporter: InMemorySpanExporter, db: Database
) -> None:
    with running_receiver() as receiver:
        admin = await sign_up(traced)
        await subscribe_receiver(traced, admin, receiver, ["teams.*"])
        await traced.post(
            f"/v1/orgs/{admin.orgs[0]}/teams",
            json={"slug": "dba", "name": "DBA"},
            headers=admin.headers,
        )
        await background(traced_app).relay.run_once()
        exporter.clear()
        assert await background(traced_app).engine.run_once() == [Outcome.SUCCEEDED]
    [delivery] = [s for s in exporter.get_finished_spans() if s.name == "webhook deliver"]
    assert hex_trace(delivery) != TRACE_ID
    assert delivery.parent is not None  # the API call that made the team began the trace
    [received] = receiver.processed
    assert received.headers["traceparent"].split("-")[1] == hex_trace(delivery)


async def test_the_nats_publish_continues_the_trace_and_carries_traceparent(
    db: Database, jetstream: Any
) -> None:
    tag = uuid.uuid4().hex[:12]
    stream, prefix = f"SIGNOFF_TEST_{tag}", f"signofftest{tag}"
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    spans = Continuation(provider, "signoff.outbox")
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("the write") as write:  # as a request's span would be
        [event_id] = await record_events(
            db, SystemClock(), uuid.uuid4(), [("documents.approved", "documents/DD-1")]
        )
    settings = NatsSettings(url="nats://127.0.0.1:4222", stream=stream, subject_prefix=prefix)
    relay = OutboxRelay(
        Transactions(db), SystemClock(), [], stream=JetStreamPublisher(settings, spans)
    )
    try:
        assert (await relay.run_once()).published >= 1
        info = await jetstream.stream_info(stream)
        messages = [
            await jetstream.get_msg(stream, seq)
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
    finally:
        await relay.stop()
        await jetstream.delete_stream(stream)
    [message] = [m for m in messages if m.headers["Nats-Msg-Id"] == event_id]
    [publish] = [s for s in exporter.get_finished_spans() if s.name == "publish documents.approved"]
    assert publish.kind is SpanKind.PRODUCER
    assert publish.context.trace_id == write.get_span_context().trace_id
    assert publish.parent is not None
    assert publish.parent.span_id == write.get_span_context().span_id
    _version, trace_id, parent_id, _flags = message.headers["traceparent"].split("-")
    assert (trace_id, parent_id) == (hex_trace(publish), hex_span(publish))


__all__ = ["jetstream"]
