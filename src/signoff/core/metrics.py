"""Prometheus metrics. Each app has its own registry, so several apps (tests) never collide.

Under ``signoff serve --workers N`` every worker process writes its counters, histograms and
gauges into files in the directory ``PROMETHEUS_MULTIPROC_DIR`` names (prometheus-client's
multiprocess mode, set up by the server for each start: serving.py), and whichever worker
answers ``/metrics`` reports the sum of all of them. Each gauge says how its values combine
(``multiprocess_mode``): requests in flight and pool connections add up over the live
workers; the figures read from the database at scrape time are the most recent one read.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

import signoff
from signoff.core.logging import get_logger

log = get_logger("signoff.metrics")

# A gauge read from the database is refreshed before a scrape, each within this bound: a slow
# database must not make /metrics slow.
REFRESH_TIMEOUT_S = 2.0

RefreshHook = Callable[[], Awaitable[None]]

# Latency buckets from 2.5 ms to 10 s: the API's reads live in the first few, imports and
# exports of large documents in the last.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# prometheus-client's own switch: read when it is imported, so it must be in the environment
# before a worker process starts.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

# A gauge read from the database at scrape time: every worker reads the same figure, and the
# one read last (by the worker answering this scrape) is the one to report.
SCRAPED: Final = "livemostrecent"

POOL_STATES = ("size", "checked_out", "idle", "overflow", "limit")
POOL_HELP = (
    "Database connections by pool and state (checked_out, idle, overflow, size, and "
    "limit: the most the pool may open, size + max overflow)."
)


def multiprocess_dir() -> str | None:
    """The directory the worker processes share their metrics in, when there are several."""
    return os.environ.get(MULTIPROCESS_ENV) or None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.shared_dir = multiprocess_dir()
        self.requests = Counter(
            "signoff_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "signoff_http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its response.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "signoff_http_requests_in_flight",
            "Requests being processed now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        info = Gauge(
            "signoff_build_info",
            "Signoff version.",
            ["version"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        info.labels(version=signoff.__version__).set(1)
        self.outbox_lag = Gauge(
            "signoff_outbox_lag_seconds",
            "Age of the oldest event not yet published to every channel (0 when none).",
            registry=self.registry,
            multiprocess_mode=SCRAPED,
        )
        self.outbox_pending = Gauge(
            "signoff_outbox_pending_events",
            "Events not yet published to every channel.",
            registry=self.registry,
            multiprocess_mode=SCRAPED,
        )
        self.outbox_relayed = Counter(
            "signoff_outbox_events_relayed",
            "Events handed on by this process's relay, by channel (webhooks fan-out, nats).",
            ["channel"],
            registry=self.registry,
        )
        self.events = Counter(
            "signoff_outbox_events",
            "Events relayed, by type (`documents.submitted`: a review round opened; "
            "`documents.approved`...): the flow of the product's work.",
            ["type"],
            registry=self.registry,
        )
        self.database_unavailable = Counter(
            "signoff_database_unavailable",
            "Requests answered 503 because the database could not serve them, by reason "
            "(refused, connection_lost, connect_timeout, too_many_clients, pool_timeout, "
            "statement_timeout, server_going_away).",
            ["reason"],
            registry=self.registry,
        )
        self._refresh_hooks: list[RefreshHook] = []

    def before_scrape(self, hook: RefreshHook) -> None:
        """Register a coroutine that updates gauges from the database before each scrape."""
        self._refresh_hooks.append(hook)

    async def refresh(self) -> None:
        for hook in self._refresh_hooks:
            try:
                async with asyncio.timeout(REFRESH_TIMEOUT_S):
                    await hook()
            except Exception as exc:  # stale gauges beat a failed scrape
                name = getattr(hook, "__name__", "?")
                log.warning("metrics.refresh_failed", hook=name, error=str(exc))

    def watch_pools(self, engines: Callable[[], Iterable[tuple[str, AsyncEngine]]]) -> None:
        if self.shared_dir is None:
            self.registry.register(PoolCollector(engines))
            return
        # A scrape is answered by one worker, which cannot read the others' pools: each
        # worker writes its own pools' figures whenever a connection is taken or given back.
        gauge = Gauge(
            "signoff_db_pool_connections",
            POOL_HELP,
            ["pool", "state"],
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        for name, engine in engines():
            watch_pool(gauge, name, engine)

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape is answered with, and its media type: with several worker
        processes, the sum over all of them."""
        if self.shared_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.shared_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST


def watch_pool(gauge: Gauge, name: str, engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return  # SQLite's pool has no fixed size to report

    def write(*_: Any) -> None:
        for state, value in pool_figures(pool).items():
            gauge.labels(pool=name, state=state).set(value)

    write()
    event.listen(pool, "checkout", write)
    event.listen(pool, "checkin", write)


def pool_figures(pool: QueuePool) -> dict[str, int]:
    return {
        "size": pool.size(),
        "checked_out": pool.checkedout(),
        "idle": pool.checkedin(),
        "overflow": max(pool.overflow(), 0),
        "limit": pool.size() + max(pool._max_overflow, 0),
    }


class PoolCollector(Collector):
    """Connection-pool usage, read at scrape time from the live pools."""

    def __init__(self, engines: Callable[[], Iterable[tuple[str, AsyncEngine]]]) -> None:
        self._engines = engines

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "signoff_db_pool_connections", POOL_HELP, labels=["pool", "state"]
        )
        for name, engine in self._engines():
            pool = engine.sync_engine.pool
            if not isinstance(pool, QueuePool):
                continue  # SQLite's pool has no fixed size to report
            for state, value in pool_figures(pool).items():
                family.add_metric([name, state], value)
        yield family
