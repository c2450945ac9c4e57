"""The PDF export gives its database connection back before laying out the PDF: it reads
what it needs, ends its transaction, then renders (seconds of WeasyPrint) holding nothing.
Proved by counting the pool's checked-out connections while the renderer runs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from signoff.core.config import CpuSettings, DatabaseSettings, Settings
from signoff.core.services import Services
from signoff.exchange import pdf as pdf_codec
from signoff.review import signoff_sheet
from tests.review.support import cast, import_filled, ok, set_reviewers, verdict
from tests.support.livedb import serving

pytestmark = pytest.mark.requirement("REQ-021")


async def test_no_connection_is_held_while_the_pdf_renders(
    settings: Settings, live_database: DatabaseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On the loop (workers=0), so that the renderer runs in this process, where the pool
    # can be read; the real renderer still makes the PDF.
    on_loop = settings.model_copy(
        update={
            "cpu": CpuSettings(workers=0),
            "server": settings.server.model_copy(update={"request_timeout_s": 600}),
        }
    )
    async with serving(on_loop, live_database) as (client, app):
        engines = [engine for _, engine in Services.of(app).db.engines()]

        def checked_out() -> int:
            return sum(engine.pool.checkedout() for engine in engines)  # type: ignore[attr-defined]

        people = await cast(client)
        key = await import_filled(client, people)
        await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
        ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
        for who in (people.dba, people.security, people.lead):
            ok(await verdict(client, people, who, key, "approve"), 201)

        reading: list[int] = []
        rendering: list[int] = []

        def render(html: str, page: pdf_codec.SignoffPage) -> Any:
            rendering.append(checked_out())
            return pdf_codec.render_pdf(html, page)

        def on_query(*_: Any) -> None:
            reading.append(checked_out())

        monkeypatch.setattr(signoff_sheet, "render_pdf", render)
        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", on_query)
        try:
            url = people.doc(key, "/exports/pdf")
            response = await client.get(url, headers=people.viewer.headers)
        finally:
            for engine in engines:
                event.remove(engine.sync_engine, "before_cursor_execute", on_query)
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"%PDF")
    # The request held a connection while it read (so the count sees one when there is
    # one), and none while the PDF was laid out.
    assert reading
    assert min(reading) >= 1
    assert rendering == [0]
