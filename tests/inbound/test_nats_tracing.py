"""Spans of inbound NATS consumption in ``signoff worker`` (design §13.3): each message is
handled in a consumer span that continues the ``traceparent`` it carries, with the SQL it ran
as child spans. The worker's parts as ``run_worker`` builds them (``build_worker``), the real
NATS JetStream on 127.0.0.1:4222, and the SDK's in-memory exporter."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from signoff.core.config import DatabaseSettings, NatsSettings, Settings
from signoff.runtime.worker import build_worker
from tests.documents.conftest import docs_url, import_md
from tests.inbound.support import event, upstream
from tests.inbound.test_nats import nats_settings
from tests.support.identity import sign_up
from tests.support.jetstream import jetstream
from tests.support.livedb import serving

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"


async def test_a_consumed_message_continues_its_trace_with_its_sql_as_children(
    settings: Settings,
    live_database: DatabaseSettings,
    filled: str,
    jetstream: Any,
    nats_settings: NatsSettings,
) -> None:
    async with serving(settings, live_database) as (client, _):
        owner = await sign_up(client)
        key = (await import_md(client, owner, filled)).json()["key"]
        jama = await upstream(client, owner)

    worker = settings.model_copy(update={"database": live_database, "nats": nats_settings})
    exporter = InMemorySpanExporter()
    parts = build_worker(worker, exporter)
    consumer, db = parts.consumer, parts.db
    assert consumer is not None
    subject = f"{nats_settings.inbound_subject.removesuffix('>')}jama"  # type: ignore[union-attr]
    try:
        await consumer.connect()
        sent = event("requirement.created", "JAMA-7", "TRK-070", summary="Traced", version=1)
        body, headers = jama.signed(sent)
        headers |= {"Signoff-Org": jama.org, "traceparent": f"00-{TRACE_ID}-{PARENT_SPAN}-01"}
        await jetstream.publish(subject, body, headers=headers)
        assert (await consumer.run_once(wait_s=2))["acked"] == 1
        spans = exporter.get_finished_spans()
        (consumed,) = [s for s in spans if s.kind is SpanKind.CONSUMER]
        assert consumed.name == f"process {subject}"
        assert format(consumed.context.trace_id, "032x") == TRACE_ID
        assert consumed.parent is not None
        assert format(consumed.parent.span_id, "016x") == PARENT_SPAN
        assert consumed.attributes is not None
        assert consumed.attributes["messaging.system"] == "nats"
        assert consumed.attributes["signoff.outcome"] == "applied"
        sql = [s for s in spans if s.attributes and "db.statement" in s.attributes]
        assert any("INSERT" in str(s.attributes["db.statement"]) for s in sql if s.attributes)
        for span in sql:
            assert span.parent is not None
            assert span.parent.span_id == consumed.context.span_id
        # Statements outside any span (the background loops' polls) make none.
        exporter.clear()
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
        assert exporter.get_finished_spans() == ()
    finally:
        await consumer.close()
        await jetstream.delete_stream(nats_settings.inbound_stream)
        await parts.close()

    async with serving(settings, live_database) as (client, _):
        rows = await client.get(
            docs_url(owner, f"/{key}/requirements?limit=100"), headers=owner.headers
        )
    assert "TRK-070" in rows.text, "the message was applied"


__all__ = ["jetstream", "nats_settings"]
