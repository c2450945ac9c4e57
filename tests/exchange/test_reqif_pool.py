"""A ReqIF file is read in the CPU pool, not on the event loop (ADR 0014): the pool's bounds
apply to it (a full pool answers 503), and the pool and the loop give the same answers,
refusals included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from signoff.core.config import CpuSettings
from signoff.exchange.reqif import Requirement, export_reqif
from tests.documents.conftest import docs_url, import_md
from tests.documents.test_cpu_pool import handed_over, lint, table_document, with_cpu
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, sign_up

__all__ = ["with_cpu"]
pytestmark = pytest.mark.requirement("REQ-005", "REQ-021")

WithCpu = Callable[[CpuSettings], httpx.AsyncClient]


def reqif_file(key: str, count: int = 40) -> bytes:
    reqs = [Requirement(f"REQ-{n}", f"The service does thing {n}.") for n in range(1, count)]
    text = export_reqif(document_key=key, title="t", chapters=[], requirements=reqs, stamp="x")
    return text.encode()


async def post_reqif(
    client: httpx.AsyncClient, actor: Actor, key: str, data: bytes
) -> httpx.Response:
    return await client.post(
        docs_url(actor, f"/{key}/imports/reqif"),
        content=data,
        headers=actor.headers | {"Content-Type": "application/xml"},
    )


async def test_a_reqif_import_takes_a_place_in_the_cpu_pool(with_cpu: WithCpu, filled: str) -> None:
    settings = CpuSettings(workers=1, queue=0, budget_s=60, inline_below_bytes=0)
    async with with_cpu(settings) as client:
        actor = await sign_up(client)
        key = (await import_md(client, actor, filled)).json()["key"]
        data = reqif_file(key)
        assert len(data) > settings.inline_below_bytes
        long = asyncio.create_task(lint(client, actor, table_document(30_000)))
        await handed_over(client)
        # On the event loop the parse would not need the pool; through it, it is refused.
        assert_problem(await post_reqif(client, actor, key, data), 503, "cpu_busy")
        long.cancel()
        await asyncio.gather(long, return_exceptions=True)
        preview = await post_reqif(client, actor, key, data)
        assert preview.status_code == 200, preview.text
        assert len(preview.json()["added"]) == 39


async def test_the_pool_and_the_loop_read_reqif_the_same(with_cpu: WithCpu, filled: str) -> None:
    answers = []
    for cpu in (CpuSettings(workers=0), CpuSettings(workers=1, inline_below_bytes=0)):
        async with with_cpu(cpu) as client:
            actor = await sign_up(client)
            key = (await import_md(client, actor, filled)).json()["key"]
            good = await post_reqif(client, actor, key, reqif_file(key))
            assert good.status_code == 200, good.text
            duplicate = reqif_file(key).replace(b'THE-VALUE="REQ-2"', b'THE-VALUE="REQ-1"')
            refused = assert_problem(
                await post_reqif(client, actor, key, duplicate), 422, "import_refused"
            )
            answers.append((good.json(), [e["code"] for e in refused["errors"]]))  # type: ignore[attr-defined]
    assert answers[0] == answers[1]
    assert "duplicate_id" in answers[0][1]
