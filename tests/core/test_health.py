"""Liveness and readiness, including a database that goes away and comes back."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, NatsSettings, RedisSettings, Settings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.requirement("REQ-005")


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/health+json"
    assert response.json() == {"status": "pass", "checks": {}}


async def test_ready_when_database_is_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "pass"
    assert set(report["checks"]) == {"database", "migrations"}
    assert report["checks"]["migrations"]["observed"]["revision"]


async def test_not_ready_when_migrations_are_behind(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = await client.get("/health/ready")
    assert response.status_code == 503
    check = response.json()["checks"]["migrations"]
    assert check["status"] == "fail"
    assert "signoff db upgrade" in check["output"]
    assert response.json()["checks"]["database"]["status"] == "pass"


async def test_configured_services_are_checked(settings: Settings, db: Database) -> None:
    # Nothing listens on these ports: the checks must fail fast and say so.
    with_services = settings.model_copy(
        update={
            "redis": RedisSettings(url="redis://127.0.0.1:1/0"),
            "nats": NatsSettings(url="nats://127.0.0.1:1"),
        }
    )
    async with client_for(create_app(with_services, database=db)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["status"] == "fail"
    assert checks["nats"]["status"] == "fail"
    assert checks["database"]["status"] == "pass"


async def test_real_redis_and_nats_pass(settings: Settings, db: Database) -> None:
    with_services = settings.model_copy(
        update={
            "redis": RedisSettings(url="redis://127.0.0.1:6379/0"),
            "nats": NatsSettings(url="nats://127.0.0.1:4222"),
        }
    )
    async with client_for(create_app(with_services, database=db)) as client:
        response = await client.get("/health/ready")
    checks = response.json()["checks"]
    assert checks["redis"]["status"] == "pass", (
        "Redis must run on 127.0.0.1:6379 for this test: redis-server --daemonize yes "
        "--bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    )
    assert checks["nats"]["status"] == "pass", (
        "NATS must run on 127.0.0.1:4222: nats-server -a 127.0.0.1 -p 4222 -js"
    )
    assert response.status_code == 200


@pytest.mark.postgres
async def test_readiness_follows_the_database(database_settings: DatabaseSettings) -> None:
    url = make_url(database_settings.url.get_secret_value())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = database_settings.model_copy(
        update={"url": url.set(port=proxy.port).render_as_string(hide_password=False)}
    )
    through_proxy = DatabaseSettings.model_validate(
        through_proxy.model_dump()
        | {
            "url": url.set(port=proxy.port).render_as_string(hide_password=False),
            "connect_timeout_s": 1,
        }
    )
    app = create_app(Settings(env="test", database=through_proxy))
    async with client_for(app) as client:
        try:
            assert (await client.get("/health/ready")).status_code == 200
            await proxy.cut()
            down = await client.get("/health/ready")
            assert down.status_code == 503
            assert down.json()["checks"]["database"]["status"] == "fail"
            assert (await client.get("/health/live")).status_code == 200
            await proxy.start()
            back = await client.get("/health/ready")
            assert back.status_code == 200, back.text
        finally:
            await Services.of(app).db.dispose()
