"""Issue 11: each promise as a test against a real `signoff serve` process, on both backends.

CI runs each at a small size; `python3 scripts/dev.py proof` (``make proof``) sets
``SIGNOFF_PROOF=1`` and runs them at the size their figure in docs/design.md §11-12 names.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from signoff.core.config import DatabaseSettings
from signoff.migrations import runner
from tests.e2e.test_robustness import server_env
from tests.support.identity import Actor, sign_up
from tests.support.proof import sized
from tests.support.server import free_port, running, signoff_command

pytestmark = pytest.mark.e2e


@dataclass
class Served:
    """A real server process on a database of the test's own, and how to start it again."""

    base: str
    port: int
    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[bytes]

    @contextmanager
    def again(self) -> Iterator[Served]:
        with running(self.command, cwd=self.cwd, env=self.env, port=self.port) as (_, process):
            yield Served(self.base, self.port, self.env, self.cwd, process)

    @property
    def command(self) -> list[str]:
        return signoff_command("serve", "--port", str(self.port))


def proof_env(url: str, tmp_path: Path) -> dict[str, str]:
    return server_env(url, tmp_path) | {
        "SIGNOFF_LOG__LEVEL": "WARNING",
        # Sign-ins at production cost would be most of these tests' time; the cost itself is
        # checked in tests/accounts/test_passwords.py.
        "SIGNOFF_AUTH__ARGON2_MEMORY_KIB": "8192",
        "SIGNOFF_AUTH__ARGON2_TIME_COST": "1",
    }


@contextmanager
def serve(url: str, tmp_path: Path, **extra: str) -> Iterator[Served]:
    env = proof_env(url, tmp_path) | extra
    port = free_port()
    command = signoff_command("serve", "--port", str(port))
    with running(command, cwd=tmp_path, env=env, port=port) as (base, process):
        yield Served(base, port, env, tmp_path, process)


@pytest.fixture
def server_database_url(live_database: DatabaseSettings) -> str:
    """A database of the test's own: the server commits what it does (tests/e2e/conftest.py)."""
    return live_database.url.get_secret_value()


@pytest.fixture
async def served(server_database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    url = proof_env(server_database_url, tmp_path)["SIGNOFF_DATABASE__URL"]
    await asyncio.to_thread(runner.upgrade, DatabaseSettings(url=url))
    # Blocks this test's loop while the server starts: nothing else runs on it yet.
    with serve(server_database_url, tmp_path) as server:
        yield server


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(base_url=served.base, timeout=60, limits=limits) as client:
        yield client


@pytest.fixture
async def owner(http: httpx.AsyncClient) -> Actor:
    return await sign_up(http)


__all__ = ["sized"]
