"""A database that cannot serve gives 503 with Retry-After, never a 500, and the reason is
counted in the metrics (issue 17, item 6): a refused connection, an exhausted pool, "too
many clients", a cut link."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, Settings, WorkerSettings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.conftest import FAST_HASHING, TEST_SECRET
from tests.support.databases import _dsn, backend_of
from tests.support.fixtures import assert_problem
from tests.support.server import free_port
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.requirement("REQ-005")


@asynccontextmanager
async def serving(database: DatabaseSettings) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        env="test",
        secret_key=TEST_SECRET,
        database=database,
        auth=FAST_HASHING,
        worker=WorkerSettings(in_process=False),
    )
    db = Database.from_settings(database)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            yield c
    finally:
        await db.dispose()


def changed(database: DatabaseSettings, **values: object) -> DatabaseSettings:
    return DatabaseSettings.model_validate(database.model_dump() | values)


def assert_unavailable(response: httpx.Response, code: str = "database_unavailable") -> None:
    assert_problem(response, 503, code)
    assert int(response.headers["retry-after"]) >= 1


async def sign_in(client: httpx.AsyncClient) -> httpx.Response:
    """A request that reads the database (the user), whatever is cached."""
    return await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "a@example.com", "password": "x"},
    )


async def counted(client: httpx.AsyncClient, reason: str) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(rf'signoff_database_unavailable_total{{reason="{reason}"}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


async def test_a_database_that_cannot_be_reached_is_503(database_url: str, tmp_path: Path) -> None:
    if backend_of(database_url) == "sqlite":
        # SQLite's outage: its file cannot be opened.
        url, reason = f"sqlite+aiosqlite:///{tmp_path}/missing/folder/signoff.db", "unavailable"
    else:
        # Nothing listens there: the driver raises a bare ConnectionRefusedError.
        url = make_url(database_url).set(port=free_port()).render_as_string(False)
        reason = "refused"
    async with serving(DatabaseSettings(url=url, connect_timeout_s=2)) as client:
        assert_unavailable(await client.get("/.well-known/jwks.json"))
        assert_unavailable(await sign_in(client))
        assert await counted(client, reason) == 2


async def test_an_exhausted_pool_is_503_busy_not_500(live_database: DatabaseSettings) -> None:
    tight = changed(live_database, pool_size=2, max_overflow=0, pool_timeout_s=0.3)
    async with serving(tight) as client:
        assert (await client.get("/.well-known/jwks.json")).status_code == 200
        transport = client._transport
        assert isinstance(transport, httpx.ASGITransport)
        app = transport.app
        engine = Services.of(app).db.primary
        assert isinstance(engine, AsyncEngine)
        async with engine.connect(), engine.connect():  # every connection is taken
            responses = await asyncio.gather(*(sign_in(client) for _ in range(10)))
            for response in responses:
                assert_unavailable(response, "database_busy")
            assert await counted(client, "pool_timeout") == 10
        assert (await client.get("/.well-known/jwks.json")).status_code == 200


@pytest.mark.postgres
async def test_too_many_clients_is_503(live_database: DatabaseSettings) -> None:
    url = make_url(live_database.url.get_secret_value())
    role = f"signoff_full_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(url.render_as_string(False)))
    # Superusers pass every connection limit: a role whose limit is already reached gets
    # PostgreSQL's "too many connections" (SQLSTATE 53300), as a full server would give.
    await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
    try:
        limited = changed(live_database, url=url.set(username=role).render_as_string(False))
        async with serving(limited) as client:
            assert_unavailable(await client.get("/.well-known/jwks.json"))
            assert await counted(client, "too_many_clients") == 1
    finally:
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


@pytest.mark.postgres
async def test_writes_during_a_cut_link_are_503_and_none_is_500(
    live_database: DatabaseSettings,
) -> None:
    url = make_url(live_database.url.get_secret_value())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = changed(
        live_database,
        url=url.set(port=proxy.port).render_as_string(False),
        connect_timeout_s=2,
        pool_size=5,
    )
    async with serving(through) as client:

        async def sign_up(n: int) -> httpx.Response:
            return await client.post(
                "/v1/auth/signup",
                json={
                    "email": f"cut{n}@example.com",
                    "password": "correct horse battery staple",
                    "name": f"Cut {n}",
                    "org_name": f"Cut {n}",
                    "org_slug": f"cut-{n}",
                },
            )

        assert (await sign_up(0)).status_code == 202
        writes = [asyncio.create_task(sign_up(n)) for n in range(1, 61)]
        await asyncio.sleep(0.05)
        await proxy.cut()
        responses = await asyncio.gather(*writes)
        statuses = sorted({r.status_code for r in responses})
        assert set(statuses) <= {202, 503}, [r.text for r in responses if r.status_code >= 500]
        assert 503 in statuses
        for response in responses:
            if response.status_code == 503:
                assert_unavailable(response, response.json()["code"])
        lost = await counted(client, "connection_lost") + await counted(client, "refused")
        assert lost >= 1
        proxy.port = make_url(through.url.get_secret_value()).port or 0
        await proxy.start()
        back = await sign_up(100)
        assert back.status_code == 202, back.text
