"""Liveness, readiness and metrics: the routes an orchestrator and a scraper call.

They bypass the per-request transaction on purpose: a probe must not take a pooled session
for its whole duration, and ``/health/live`` must answer even when the database cannot.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from signoff.core.access import PUBLIC
from signoff.core.db import Database
from signoff.core.services import Check, Services
from signoff.migrations.runner import schema_behind, schema_revision

HEALTH_MEDIA_TYPE = "application/health+json"
CHECK_TIMEOUT_S = 2.0


class HealthResponse(JSONResponse):
    """`application/health+json` (draft-inadarei-api-health-check), in OpenAPI too."""

    media_type = HEALTH_MEDIA_TYPE


# Probes and scrapers carry no credentials; nothing here reveals tenant data.
router = APIRouter(tags=["operations"], dependencies=[PUBLIC])


class CheckResult(BaseModel):
    status: Literal["pass", "fail"]
    duration_ms: float
    output: str | None = Field(default=None, description="Why the check failed.")
    observed: dict[str, Any] | None = None


class HealthReport(BaseModel):
    status: Literal["pass", "fail"]
    checks: dict[str, CheckResult] = Field(default_factory=dict)


async def run_check(check: Check) -> CheckResult:
    begin = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            observed = await check()
    except TimeoutError:
        return _failed(begin, f"no answer within {CHECK_TIMEOUT_S:g} s")
    except SchemaNotAtHead as exc:
        return _failed(begin, str(exc))
    except Exception as exc:  # a probe reports every failure; it must never raise
        return _failed(begin, f"{type(exc).__name__}: {exc}"[:300])
    return CheckResult(status="pass", duration_ms=_ms(begin), observed=observed)


def _failed(begin: float, output: str) -> CheckResult:
    return CheckResult(status="fail", duration_ms=_ms(begin), output=output)


def _ms(begin: float) -> float:
    return round((time.perf_counter() - begin) * 1000, 2)


def database_check(db: Database, *, replica: bool = False) -> Check:
    async def check() -> dict[str, Any] | None:
        await db.ping(replica=replica)
        return None

    return check


def migrations_check(db: Database, head: str | None) -> Check:
    async def check() -> dict[str, Any] | None:
        current = await schema_revision(db)
        if current != head:
            raise SchemaNotAtHead(schema_behind(current, head))
        return {"revision": current}

    return check


class SchemaNotAtHead(RuntimeError):
    pass


@router.get(
    "/health/live",
    summary="Liveness",
    response_model=HealthReport,
    response_class=HealthResponse,
)
async def get_liveness() -> Response:
    """The process is up and serving requests; nothing else is checked."""
    return liveness()


def liveness() -> HealthResponse:
    """The liveness answer, which never changes (the fast lane sends it too)."""
    return HealthResponse({"status": "pass", "checks": {}})


@router.get(
    "/health/ready",
    summary="Readiness",
    response_model=HealthReport,
    response_class=HealthResponse,
    responses={503: {"model": HealthReport, "description": "A dependency is not ready."}},
)
async def get_readiness(request: Request) -> Response:
    """Ready to serve: database reachable, migrations at head, configured services reachable."""
    checks = Services.of(request.app).readiness_checks
    results = await asyncio.gather(*(run_check(c) for c in checks.values()))
    report = HealthReport(
        status="pass" if all(r.status == "pass" for r in results) else "fail",
        checks=dict(zip(checks, results, strict=True)),
    )
    return HealthResponse(
        report.model_dump(exclude_none=True),
        status_code=200 if report.status == "pass" else 503,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def get_metrics(request: Request) -> Response:
    """Metrics in the Prometheus text exposition format."""
    metrics = Services.of(request.app).metrics
    await metrics.refresh()
    body, media_type = metrics.exposition()
    return Response(body, media_type=media_type)


def redis_check(url: str) -> Check:
    async def check() -> dict[str, Any] | None:
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            await client.ping()
        finally:
            await client.aclose()
        return None

    return check


def nats_check(url: str) -> Check:
    async def check() -> dict[str, Any] | None:
        import nats

        # nats-py reads max_reconnect_attempts=0 as "forever", even for the first connect:
        # one attempt, so an unreachable server fails the check at once instead of hanging
        # until the probe's deadline.
        client = await nats.connect(
            url,
            connect_timeout=1,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
        )
        try:
            await client.flush(timeout=1)
        finally:
            await client.close()
        return None

    return check
