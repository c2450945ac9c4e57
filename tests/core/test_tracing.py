"""OpenTelemetry tracing (design §13.3): a request makes a server span with the SQL it ran
as child spans, an incoming W3C traceparent is continued, log lines carry the trace id, and
nothing is traced unless configured. Spans go to the SDK's in-memory exporter."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from signoff.core.config import DatabaseSettings, Settings, TracingSettings
from signoff.core.services import Services
from tests.support.identity import sign_up
from tests.support.livedb import serving

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
async def traced(
    settings: Settings, live_database: DatabaseSettings
) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    async with serving(settings, live_database, span_exporter=exporter) as (client, _):
        yield client, exporter


async def test_a_request_makes_a_server_span_with_its_sql_as_children(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter],
) -> None:
    client, exporter = traced
    owner = await sign_up(client)
    exporter.clear()
    response = await client.get("/v1/me", headers=owner.headers)
    assert response.status_code == 200
    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "GET /v1/me"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/me"
    sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    assert sql, [s.name for s in spans]
    for span in sql:
        assert span.context.trace_id == server.context.trace_id
        assert span.parent is not None
        assert span.parent.span_id == server.context.span_id
    assert any("SELECT" in str(s.attributes["db.statement"]) for s in sql if s.attributes)


async def test_an_incoming_traceparent_is_continued_and_logged(
    traced: tuple[httpx.AsyncClient, InMemorySpanExporter], capsys: pytest.CaptureFixture[str]
) -> None:
    client, exporter = traced
    capsys.readouterr()
    response = await client.get("/v1/orgs/nowhere", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 401
    (server,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert format(server.context.trace_id, "032x") == TRACE_ID
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    request_id = response.headers["x-request-id"]
    ours = [line for line in lines if line.get("request_id") == request_id]
    assert ours, "the request logged its access line"
    assert all(line["trace_id"] == TRACE_ID for line in ours)


async def test_no_spans_and_no_trace_ids_unless_configured(
    client: httpx.AsyncClient, app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Services.of(app).tracer_provider is None
    capsys.readouterr()
    await client.get("/v1/me", headers={"traceparent": TRACEPARENT})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert lines
    assert not any("trace_id" in line for line in lines)


def test_tracing_is_off_by_default() -> None:
    assert Settings().tracing.otlp_endpoint is None


class _Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver: keeps what is posted to /v1/traces, decoded."""

    received: ClassVar[list[ExportTraceServiceRequest]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.received.append(request)
        self.send_response(200 if self.path == "/v1/traces" else 404)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


async def test_spans_are_exported_over_otlp_http_to_a_real_receiver(
    settings: Settings, live_database: DatabaseSettings
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    tracing = TracingSettings(otlp_endpoint=endpoint, service_name="signoff-test")
    try:
        traced = settings.model_copy(update={"tracing": tracing})
        async with serving(traced, live_database) as (client, app):
            response = await client.get("/v1/orgs/x", headers={"traceparent": TRACEPARENT})
            assert response.status_code == 401
            provider = Services.of(app).tracer_provider
            assert provider is not None
            assert provider.force_flush(10_000)
    finally:
        server.shutdown()
    spans = [
        (resource.resource, span)
        for request in _Receiver.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    ours = [(r, s) for r, s in spans if s.trace_id.hex() == TRACE_ID]
    assert [s.name for _, s in ours if s.kind == s.SPAN_KIND_SERVER] == ["GET /v1/orgs/{org}"]
    names = {a.value.string_value for r, _ in ours for a in r.attributes if a.key == "service.name"}
    assert names == {"signoff-test"}
