"""Scaling out (design §10.2): two ``signoff serve`` processes and two ``signoff worker``
processes on one PostgreSQL. Writes made on either server are read on the other, every event
is delivered exactly once to a real webhook receiver, and the four processes' metrics add up
to what was done."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from signoff.core.events import OutboxEvent
from tests.core.test_metrics import samples
from tests.support.identity import sign_up
from tests.support.receiver import running_receiver
from tests.support.server import REPO, free_port, signoff_command, wait_until_ready
from tests.support.webhooks import (
    live_settings,
    start_worker,
    subscribe_receiver,
    wait_until,
    worker_environment,
)
from tests.webhooks.test_processes import successes_per_delivery, worker_metrics

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

TEAMS = 24  # writes, alternating between the servers: one teams.created event each
TEAMS_ROUTE = "/v1/orgs/{org}/teams"


@contextmanager
def started(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process of its own, logging to ``log``, stopped with SIGTERM at the end."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def server_env(settings: Settings) -> dict[str, str]:
    # The servers leave the outbox to the workers: deliveries come from those only.
    return (
        {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
        | worker_environment(settings)
        | {"SIGNOFF_WORKER__IN_PROCESS": "false"}
    )


Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def counted(scrape: Scrape, name: str, **labels: str) -> float:
    return sum(
        value
        for (metric, found), value in scrape.items()
        if metric == name and all((k, v) in found for k, v in labels.items())
    )


async def team_events(settings: Settings) -> list[str]:
    db = Database.from_settings(settings.database)
    try:
        async with db.session(read_only=True) as session:
            query = select(OutboxEvent.id).where(OutboxEvent.type == "teams.created")
            return sorted(str(i) for i in await session.scalars(query))
    finally:
        await db.dispose()


async def test_two_servers_and_two_workers_on_one_postgresql(
    live_database: DatabaseSettings,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    settings = live_settings(live_database, concurrency=4, timeout_s=5.0)
    ports = [free_port() for _ in range(4)]
    with running_receiver() as receiver, ExitStack() as stack:
        servers = []
        for n, port in enumerate(ports[:2]):
            command = signoff_command("serve", "--port", str(port))
            log = tmp_path / f"server-{n}.log"
            servers.append((stack.enter_context(started(command, server_env(settings), log)), port))
        workers = [
            stack.enter_context(_worker(settings, tmp_path / f"worker-{n}.log", port))
            for n, port in enumerate(ports[2:])
        ]
        bases = [f"http://127.0.0.1:{port}" for _, port in servers]
        for (process, _), base in zip(servers, bases, strict=True):
            await asyncio.to_thread(wait_until_ready, base, process)
        async with (
            httpx.AsyncClient(base_url=bases[0], timeout=30) as one,
            httpx.AsyncClient(base_url=bases[1], timeout=30) as two,
        ):
            owner = await sign_up(one)
            org = owner.orgs[0]
            await subscribe_receiver(two, owner, receiver, ["teams.*"])  # made on the second
            teams = f"/v1/orgs/{org}/teams"
            for n in range(TEAMS):
                writer, reader = (one, two) if n % 2 == 0 else (two, one)
                made = await writer.post(
                    teams, json={"slug": f"t{n}", "name": f"Team {n}"}, headers=owner.headers
                )
                assert made.status_code == 201, made.text
                # Read on the other server at once: one database, nothing cached apart.
                read = await reader.get(f"{teams}/t{n}", headers=owner.headers)
                assert read.status_code == 200, read.text
            recorded = await team_events(settings)
            assert len(recorded) == TEAMS
            await wait_until(lambda: len(receiver.processed) >= TEAMS, what="every event delivered")
            server_metrics = [samples((await c.get("/metrics")).text) for c in (one, two)]
        worker_scrapes = [await worker_metrics(port) for port in ports[2:]]
    # Stopped by one SIGTERM each, cleanly (the stack's exit; a second signal would kill).
    assert [p.returncode for p in workers] == [0, 0]
    # Each event exactly once: one delivery each, one successful attempt each, no resend.
    assert sorted(receiver.processed_ids()) == recorded
    assert receiver.duplicates == 0
    assert receiver.bad_signatures == 0
    assert await successes_per_delivery(settings) == [1] * TEAMS
    # The metrics add up across the processes: the servers counted the writes they took,
    # the workers the deliveries they made.
    posts = [
        counted(
            scrape, "signoff_http_requests_total", method="POST", route=TEAMS_ROUTE, status="201"
        )
        for scrape in server_metrics
    ]
    assert posts == [TEAMS / 2, TEAMS / 2]
    delivered = [
        counted(scrape, "signoff_webhook_deliveries_total", outcome="succeeded")
        for scrape in worker_scrapes
    ]
    assert sum(delivered) == TEAMS, delivered
    figures = f"{TEAMS} writes over 2 servers {posts}; deliveries by worker {delivered}"
    print(figures)
    record_property("figures", figures)


@contextmanager
def _worker(settings: Settings, log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(
        settings,
        log,
        SIGNOFF_WORKER__METRICS_PORT=str(port),
        SIGNOFF_WORKER__METRICS_REFRESH_S="0.1",
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
