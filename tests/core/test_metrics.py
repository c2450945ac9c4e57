"""Prometheus metrics by route template and status, in-flight requests, pool usage."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database

pytestmark = pytest.mark.requirement("REQ-005")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def test_requests_are_counted_by_route_template(probe_client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await probe_client.get("/probe/events/0190b1a0-0000-7000-8000-000000000000")
    await probe_client.get("/nope/1")
    await probe_client.get("/nope/2")
    scraped = samples((await probe_client.get("/metrics")).text)
    labels = (("method", "GET"), ("route", "/probe/events/{event_id}"), ("status", "404"))
    assert scraped[("signoff_http_requests_total", labels)] == 3
    assert scraped[("signoff_http_request_duration_seconds_count", labels)] == 3
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert scraped[("signoff_http_requests_total", unmatched)] == 2
    # The scrape itself is in flight while it is being rendered.
    assert scraped[("signoff_http_requests_in_flight", ())] == 1


async def test_pool_usage_is_reported(
    settings: Settings, database_settings: DatabaseSettings
) -> None:
    db = Database.from_settings(database_settings)
    app = create_app(settings, database=db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            await c.get("/health/ready")
            scraped = samples((await c.get("/metrics")).text)
    finally:
        await db.dispose()
    size = scraped[("signoff_db_pool_connections", (("pool", "primary"), ("state", "size")))]
    assert size >= 1
    checked_out = (("pool", "primary"), ("state", "checked_out"))
    assert scraped[("signoff_db_pool_connections", checked_out)] == 0
