"""The real server process: it starts, answers, and shuts down without dropping requests."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from signoff.core.config import DatabaseSettings
from signoff.migrations import runner
from tests.conftest import TEST_SECRET
from tests.support.databases import backend_of
from tests.support.server import REPO, free_port, running, signoff_command

pytestmark = pytest.mark.e2e


def database_env(url: str, tmp_path: Path) -> dict[str, str]:
    # On SQLite the server uses its default (./signoff.db in its working folder), as a new
    # user would; on PostgreSQL, a database of the test's own (conftest.py).
    if backend_of(url) == "sqlite":
        return {}
    return {"SIGNOFF_DATABASE__URL": url, "SIGNOFF_SECRET_KEY": TEST_SECRET}


def assert_stopped_gracefully(returncode: int, output: str) -> None:
    # uvicorn finishes its shutdown, then re-raises the signal so a supervisor sees why the
    # process ended: "killed by SIGTERM" after "shutdown complete" is the graceful path.
    assert returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output


@pytest.mark.requirement("REQ-001")
def test_serve_answers_its_operational_routes(tmp_path: Path, server_database_url: str) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path) | {"SIGNOFF_LOG__FORMAT": "json"}
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (base, _):
        for path, media in [
            ("/health/live", "application/health+json"),
            ("/health/ready", "application/health+json"),
            ("/openapi.json", "application/json"),
            ("/docs", "text/html; charset=utf-8"),
            ("/metrics", "text/plain; version=1.0.0; charset=utf-8"),
        ]:
            # The OpenAPI document is built in a thread after start-up (seconds of CPU on a
            # busy machine): the timeout is a hang guard, not a timing.
            response = httpx.get(base + path, timeout=60)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["content-type"] == media
        missing = httpx.get(base + "/v1/nothing", timeout=5)
        assert missing.headers["content-type"] == "application/problem+json"
    if backend_of(server_database_url) == "sqlite":
        assert (tmp_path / "signoff.db").exists()  # the default: a file in the working folder


def test_serve_prints_where_the_docs_are(tmp_path: Path, server_database_url: str) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (_, process):
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert f"(API docs: http://127.0.0.1:{port}/docs)" in output.decode()
    assert_stopped_gracefully(process.returncode, output.decode())


@pytest.mark.requirement("REQ-010")
async def test_sigterm_lets_in_flight_requests_finish(
    tmp_path: Path, server_database_url: str
) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path) | {
        "SIGNOFF_DATABASE__URL": server_database_url
        if backend_of(server_database_url) != "sqlite"
        else f"sqlite+aiosqlite:///{tmp_path}/probe.db",
    }
    dbmigrate_env_url = env["SIGNOFF_DATABASE__URL"]
    await asyncio.to_thread(
        runner.upgrade,
        DatabaseSettings(url=dbmigrate_env_url),
    )
    command = [sys.executable, "-m", "tests.support.probe_server", str(port)]
    with running(command, cwd=REPO, env=env, port=port) as (base, process):
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            in_flight = asyncio.create_task(client.get("/probe/slow", params={"seconds": 2}))
            async with httpx.AsyncClient(base_url=base, timeout=10) as watcher:
                # A busy machine may take a while to deliver it: wait until it is in flight.
                while (await watcher.get("/probe/sleeping")).json()["sleeping"] < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            with pytest.raises(httpx.TransportError):  # no new connections while draining
                await httpx.AsyncClient(base_url=base, timeout=2).get("/health/live")
            response = await in_flight
        assert response.status_code == 200
        assert response.json() == {"slept": 2.0}
        output, _ = await asyncio.to_thread(process.communicate, None, 20)
        assert_stopped_gracefully(process.returncode, output.decode())
        assert time.monotonic() - began < 15
