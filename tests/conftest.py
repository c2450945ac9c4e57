"""The fixture chain: a database built by ``alembic upgrade head`` once per test process, one
transaction per test rolled back at the end, the app wired to it, and an HTTP client.

The backend comes from ``SIGNOFF_TEST_DATABASE_URL``: unset means SQLite (a file in a
temporary folder); a ``postgresql+asyncpg://`` URL names a server on which each test process
creates, and at the end drops, a database of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from signoff.app import create_app
from signoff.core.config import (
    AuthSettings,
    DatabaseSettings,
    Environment,
    RequestLimitSettings,
    Settings,
    WorkerSettings,
)
from signoff.core.db import Database, create_engine
from signoff.core.logging import configure_logging
from signoff.migrations.runner import upgrade_on
from tests.support.databases import (
    backend_of,
    create_postgres_database,
    drop_postgres_database,
)
from tests.support.livedb import live_database, live_template

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


# A shared, noisy machine makes per-example deadlines flaky; example counts are set per test.
# "ci" (the default): every run draws the same cases, and a failure is reported as found,
# unshrunk, so that no run spends minutes shrinking; `make proof` uses "proof": random cases
# from a seed it prints, shrunk. A failure found there becomes an explicit example.
hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    print_blob=True,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
hypothesis_settings.register_profile("proof", deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    configure_logging("INFO", "json", background=False)


def pytest_itemcollected(item: pytest.Item) -> None:
    # `@pytest.mark.requirement("REQ-002")` becomes a property in the JUnit report, which
    # Signoff's traceability reads to link the requirement to this test (scripts/dev.py).
    for mark in item.iter_markers("requirement"):
        for requirement in mark.args:
            item.user_properties.append(("requirement", str(requirement)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures that tests measured (``record_property("figures", ...)``), also under xdist."""
    lines = [
        f"{report.nodeid}: {value}"
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "figures" and report.when == "call"
    ]
    if lines:
        terminalreporter.write_sep("-", "figures")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_report_header() -> str:
    return f"signoff database backend: {backend_of(os.environ.get('SIGNOFF_TEST_DATABASE_URL'))}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if backend_of(os.environ.get("SIGNOFF_TEST_DATABASE_URL")) == "postgresql":
        return
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL pass"))


@pytest.fixture(scope="session")
def worker_id_safe(request: pytest.FixtureRequest) -> str:
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return f"{worker}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
async def database_url(
    tmp_path_factory: pytest.TempPathFactory, worker_id_safe: str
) -> AsyncIterator[str]:
    base = os.environ.get("SIGNOFF_TEST_DATABASE_URL")
    if backend_of(base) == "sqlite":
        path = tmp_path_factory.mktemp("db") / "signoff.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    assert base is not None
    url = await create_postgres_database(base, f"signoff_test_{worker_id_safe}")
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_settings(database_url: str) -> DatabaseSettings:
    return DatabaseSettings(url=database_url, pool_size=5, max_overflow=5)


@pytest.fixture(scope="session")
async def engine(database_settings: DatabaseSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_settings.url.get_secret_value(), database_settings)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction for the whole test; everything the test wrote is rolled back."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def db(connection: AsyncConnection) -> Database:
    return Database.bound_to(connection)


# Hashing at production cost (19 MiB, 2 passes) in every test that signs someone up would
# dominate the suite; tests/accounts/test_passwords.py checks the production parameters.
FAST_HASHING = AuthSettings(argon2_memory_kib=8192, argon2_time_cost=1)
NO_REQUEST_LIMITS = RequestLimitSettings(reads="", writes="", org_reads="", org_writes="")


@pytest.fixture
def settings(database_settings: DatabaseSettings) -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database=database_settings,
        auth=FAST_HASHING,
        worker=WorkerSettings(in_process=False),
        # Tests send many requests as one caller in a moment; the limits have their own tests
        # (tests/core/test_request_limits.py).
        request_limits=NO_REQUEST_LIMITS,
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def live(
    settings: Settings, live_database: DatabaseSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on a database of this test's own, whose requests each commit on
    their own connection: for real concurrency."""
    db = Database.from_settings(live_database.model_copy(update={"pool_size": 10}))
    app = create_app(settings.model_copy(update={"database": live_database}), database=db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://live.test"
        ) as c:
            yield c
    finally:
        await db.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


@pytest.fixture
def tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


__all__ = ["live_database", "live_template"]
