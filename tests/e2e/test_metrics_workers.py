"""A server with several worker processes reports the metrics of all of them (design §13.2)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_server import database_env
from tests.support.server import free_port, running, signoff_command

pytestmark = pytest.mark.e2e

ROUTE = "/health/live"


def served_by_each_worker(shared: Path) -> dict[int, float]:
    """Requests to ROUTE counted by each worker process, read from its own file."""
    counts: dict[int, float] = {}
    for path in shared.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        counts[pid] = sum(
            sample.value
            for family in MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
            for sample in family.samples
            if sample.name == "signoff_http_requests_total" and sample.labels["route"] == ROUTE
        )
    return counts


def scraped(base: str) -> dict[str, float]:
    """One scrape (a new connection, so any worker may answer): the request count on ROUTE
    and the pool gauges, summed as Prometheus would read them."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found: dict[str, float] = {"requests": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "signoff_http_requests_total" and sample.labels["route"] == ROUTE:
                found["requests"] += sample.value
            if "pid" in sample.labels:  # a gauge left to its default mode ("all")
                found["per_pid"] = found.get("per_pid", 0) + 1
    return found


def test_two_workers_report_the_sum_of_both(tmp_path: Path, server_database_url: str) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path) | {
        "SIGNOFF_LOG__LEVEL": "WARNING",  # the output goes to a pipe nobody reads until the end
        "TMPDIR": str(tmp_path),  # where the server makes the workers' shared directory
    }
    command = signoff_command("serve", "--port", str(port), "--workers", "2")
    with running(command, cwd=tmp_path, env=env, port=port) as (base, process):
        (shared,) = tmp_path.glob("signoff-metrics-*")
        sent = 0
        # Which worker accepts a connection is the kernel's choice: send until both have
        # answered some (a bound, not a timing), and count exactly what was sent.
        while len([n for n in served_by_each_worker(shared).values() if n]) < 2:
            assert sent < 2000, served_by_each_worker(shared)
            for _ in range(10):
                assert httpx.get(base + ROUTE, timeout=30).status_code == 200
            sent += 10
        shares = served_by_each_worker(shared)
        assert sum(shares.values()) == sent
        assert all(0 < share < sent for share in shares.values()), shares
        for _ in range(10):  # whichever worker answers, it reports both workers' requests
            seen = scraped(base)
            assert seen["requests"] == sent, (seen, shares)
            assert "per_pid" not in seen

        # A worker that dies keeps its counts in the sum; the supervisor starts another.
        victim = next(iter(shares))
        assert (shared / f"gauge_livesum_{victim}.db").exists()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while (shared / f"gauge_livesum_{victim}.db").exists():  # struck out when joined
            assert time.monotonic() < deadline, "the dead worker's live gauges stayed"
            time.sleep(0.1)
        assert scraped(base)["requests"] == sent

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode in (0, -signal.SIGTERM), output.decode()
    assert not list(tmp_path.glob("signoff-metrics-*")), "the shared directory outlived the server"
