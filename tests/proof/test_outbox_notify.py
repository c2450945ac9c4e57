"""A `signoff worker` hands on what a `signoff serve` process commits as it commits, not at
its next poll: on PostgreSQL the write's transaction sends NOTIFY and the worker LISTENs
(`signoff.outbox.notifications`; design §9.2). Two real processes, polls of a minute."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from signoff.core.config import DatabaseSettings, WorkerSettings
from signoff.migrations import runner
from tests.proof.conftest import serve
from tests.support.identity import sign_up
from tests.support.receiver import running_receiver
from tests.support.webhooks import live_settings, start_worker, subscribe_receiver, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.requirement("REQ-024")]

POLL_S = 60.0  # the relay's and the sender's: nothing here may wait for either
WRITES = 5


async def test_the_worker_wakes_on_the_servers_commit(
    live_database: DatabaseSettings, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    settings = live_settings(live_database, poll_interval_s=POLL_S)
    settings = settings.model_copy(
        update={"worker": WorkerSettings(in_process=False, outbox_poll_s=POLL_S)}
    )
    await asyncio.to_thread(runner.upgrade, live_database)
    url = live_database.url.get_secret_value()
    log = tmp_path / "worker.log"
    latencies: list[float] = []
    with (
        running_receiver() as receiver,
        serve(
            url,
            tmp_path,
            SIGNOFF_WORKER__IN_PROCESS="false",
            SIGNOFF_WEBHOOKS__ALLOWED_CIDRS="127.0.0.0/8",
        ) as served,
    ):
        worker = start_worker(settings, log, SIGNOFF_LOG__LEVEL="INFO")
        try:
            await wait_until(
                lambda: "outbox.listening" in log.read_text(), within=90, what="LISTEN"
            )
            async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
                owner = await sign_up(client)
                await subscribe_receiver(client, owner, receiver, ["documents.*"])
                for n in range(WRITES):
                    started = time.monotonic()
                    created = await client.post(
                        f"/v1/orgs/{owner.orgs[0]}/documents",
                        json={"title": f"Woken {n}"},
                        headers=owner.headers,
                    )
                    assert created.status_code == 201, created.text
                    # Far below the polls: only the notification can have woken the worker.
                    await wait_until(
                        lambda n=n: len(receiver.processed) > n,
                        within=POLL_S / 4,
                        what=f"delivery {n} without a poll",
                    )
                    latencies.append(time.monotonic() - started)
        finally:
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 30)
    assert [r.envelope["type"] for r in receiver.processed] == ["documents.created"] * WRITES
    figures = (
        f"LISTEN/NOTIFY: {WRITES} writes in the server delivered by the worker in "
        f"{min(latencies):.2f}-{max(latencies):.2f} s (polls {POLL_S:.0f} s)"
    )
    print(figures)
    record_property("figures", figures)
