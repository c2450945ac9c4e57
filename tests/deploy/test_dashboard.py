"""The Grafana dashboard (deploy/grafana/dashboards/signoff.json) asks only for series that
Signoff exports: every metric name in its expressions is on /metrics of a running app (with
the worker's and email's metrics registered, as in production)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from signoff.app import create_app
from signoff.core.config import Settings, SmtpSettings
from signoff.core.db import Database

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def expressions() -> list[str]:
    board = json.loads((DASHBOARD / "signoff.json").read_text())
    found = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    found += [v["definition"] for v in board["templating"]["list"] if "definition" in v]
    return found


async def exported(settings: Settings, db: Database) -> set[str]:
    with_email = settings.model_copy(update={"smtp": SmtpSettings(host="127.0.0.1")})
    app = create_app(with_email, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        text = (await c.get("/metrics")).text
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in SUFFIXES.get(family.type, ("",))
    }


async def test_every_expression_uses_a_metric_signoff_exports(
    settings: Settings, db: Database
) -> None:
    names = await exported(settings, db)
    used = {m for e in expressions() for m in re.findall(r"\bsignoff_[a-z0-9_]+", e)}
    assert used, "the dashboard has expressions"
    assert used <= names, f"not exported: {sorted(used - names)}"


def test_the_golden_signals_outbox_and_deliveries_have_panels() -> None:
    joined = "\n".join(expressions())
    for metric in (
        "signoff_http_requests_total",  # traffic, errors
        "signoff_http_request_duration_seconds_bucket",  # latency
        "signoff_db_pool_connections",  # saturation
        "signoff_outbox_lag_seconds",
        "signoff_webhook_deliveries_total",
        "signoff_email_notices_total",
        "signoff_outbox_events_total",  # the review flow
        "signoff_review_time_to_approval_seconds_bucket",
    ):
        assert metric in joined, metric
