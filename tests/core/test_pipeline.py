"""The request pipeline: request ids, size limits, timeouts, headers, CORS, gzip, access log."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import CorsSettings, ServerSettings, Settings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.support.fixtures import assert_problem
from tests.support.probe import probe_app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_request_id_is_generated_and_echoed(probe_client: httpx.AsyncClient) -> None:
    first = await probe_client.get("/health/live")
    second = await probe_client.get("/health/live")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_sane_incoming_request_id_is_kept(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/health/live", headers={"X-Request-ID": "trace-1234.abc"})
    assert response.headers["x-request-id"] == "trace-1234.abc"


@pytest.mark.parametrize(
    "bad", ["short", "x" * 200, "evil\nid-injected", "has space here", "-lead"]
)
async def test_insane_request_id_is_replaced(probe_client: httpx.AsyncClient, bad: str) -> None:
    response = await probe_client.get("/health/live", headers={"X-Request-ID": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


async def test_security_headers(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/health/live")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # only in production
    docs = await probe_client.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self';" in csp  # Swagger UI is served by Signoff: no CDN
    assert "http" not in csp


async def test_declared_body_over_limit_is_413_before_reading(
    settings: Settings, db: Database
) -> None:
    small = settings.model_copy(update={"server": ServerSettings(max_body_bytes=1024)})
    async with client_for(probe_app(create_app(small, database=db))) as client:
        response = await client.post(
            "/probe/shape", content=b"x" * 2048, headers={"content-type": "application/json"}
        )
    assert_problem(response, 413, "payload_too_large")
    assert response.headers["connection"] == "close"


async def test_chunked_body_over_limit_is_413(settings: Settings, db: Database) -> None:
    small = settings.model_copy(update={"server": ServerSettings(max_body_bytes=1024)})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b'{"title": "' + b"x" * 500

    async with client_for(probe_app(create_app(small, database=db))) as client:
        response = await client.post(
            "/probe/shape", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_problem(response, 413, "payload_too_large")


async def test_non_numeric_content_length_is_400(probe: FastAPI) -> None:
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/probe/shape",
        "raw_path": b"/probe/shape",
        "query_string": b"",
        "headers": [(b"content-length", b"12abc")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("t", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    await probe(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 400


async def test_slow_handler_times_out_with_503(settings: Settings, db: Database) -> None:
    quick = settings.model_copy(update={"server": ServerSettings(request_timeout_s=0.2)})
    async with client_for(probe_app(create_app(quick, database=db))) as client:
        response = await client.get("/probe/slow?seconds=5")
        assert_problem(response, 503, "request_timeout")
        assert response.headers["retry-after"] == "1"
        assert (await client.get("/probe/slow?seconds=0")).status_code == 200


async def test_slow_body_times_out_with_408(settings: Settings, db: Database) -> None:
    import asyncio

    quick = settings.model_copy(update={"server": ServerSettings(request_timeout_s=0.2)})

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"title": "t",'
        await asyncio.sleep(2)
        yield b'"count": 1}'

    async with client_for(probe_app(create_app(quick, database=db))) as client:
        response = await client.post(
            "/probe/shape", content=trickle(), headers={"content-type": "application/json"}
        )
    assert_problem(response, 408, "request_timeout")


async def test_cors_from_settings(settings: Settings, db: Database) -> None:
    allowed = settings.model_copy(
        update={"cors": CorsSettings(allow_origins=["https://app.example"])}
    )
    async with client_for(create_app(allowed, database=db)) as client:
        preflight = await client.options(
            "/health/live",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
        )
        other = await client.get("/health/live", headers={"Origin": "https://evil.example"})
        ok = await client.get("/health/live", headers={"Origin": "https://app.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "X-Request-ID" in ok.headers["access-control-expose-headers"]


async def test_no_cors_headers_by_default(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/health/live", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_large_responses_are_gzipped(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/big", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert len(json.loads(response.content)) == 2000  # httpx undid the gzip
    small = await probe_client.get("/probe/big?items=1", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


async def test_access_log_line(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="signoff.access"):
        response = await probe_client.get(
            "/probe/events/0190b1a0-0000-7000-8000-000000000000?token=abc",
            headers={"Authorization": "Bearer probe:0190b1a0-0000-7000-8000-000000000000"},
        )
    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "signoff.access"]
    event = record.msg
    assert isinstance(event, dict)
    assert event["method"] == "GET"
    assert event["route"] == "/probe/events/{event_id}"
    assert event["status"] == 404
    assert event["duration_ms"] >= 0
    assert event["request_id"] == response.headers["x-request-id"]
    assert "token=abc" not in str(event)  # the query string is never logged
    assert "probe:" not in str(event)


async def test_a_sampled_access_log_keeps_every_refusal(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """With ``SIGNOFF_LOG__ACCESS_SAMPLE=0`` an answered request leaves no access line (it is
    still counted in the metrics); a refused one always does."""
    sampled = settings.model_copy(
        update={"log": settings.log.model_copy(update={"access_sample": 0.0})}
    )
    app = create_app(sampled, database=db)
    async with client_for(app) as client:
        with caplog.at_level(logging.INFO, logger="signoff.access"):
            answered = await client.get("/health/live")
            refused = await client.get("/v1/no-such-route")
    assert answered.status_code == 200
    assert refused.status_code == 404
    lines = [r.msg for r in caplog.records if r.name == "signoff.access"]
    assert [line["status"] for line in lines if isinstance(line, dict)] == [404]
    counted = Services.of(app).metrics.registry.get_sample_value(
        "signoff_http_requests_total",
        {"method": "GET", "route": "/health/live", "status": "200"},
    )
    assert counted == 1
