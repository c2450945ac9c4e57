"""Row 2 of issue 11: PostgreSQL behind a TCP fault proxy the test controls (the shared
server is never stopped): cut, delay, and connections reset mid-transaction, while clients
create documents with Idempotency-Key and retry what got no answer with the same key.

What must hold: readiness says 503 soon after the cut and 200 soon after the repair (the
times are measured and recorded as figures: docs/design.md §11.4), no acknowledged write is
lost or done twice, and every 5xx is a problem with a body, never a bare 500."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from signoff.core.config import DatabaseSettings
from tests.proof.conftest import Served, serve
from tests.support.identity import sign_up
from tests.support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.requirement("REQ-005")]

WRITERS = 8
# Added to each chunk on the database link, both ways: a 100 ms round trip, a database in
# another region. A document creation is 40 statements, about 90 round trips on a fresh
# asyncpg connection (each new statement is prepared first), so 9 s here. At 0.2 s a
# chunk it took about 38 s, past the 30 s request timeout: every attempt was answered 503
# ``request_timeout`` and none could ever be acknowledged (docs/design.md §11.6).
DELAY_S = 0.05


@pytest.fixture
async def proxied(
    live_database: DatabaseSettings, tmp_path: Path
) -> AsyncIterator[tuple[Served, TcpProxy]]:
    url = make_url(live_database.url.get_secret_value())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = url.set(port=proxy.port).render_as_string(hide_password=False)
    with ExitStack() as stack:
        # Started in a thread: this loop runs the proxy the server connects through.
        server = await asyncio.to_thread(
            stack.enter_context,
            serve(through, tmp_path),
        )
        yield server, proxy
    if proxy.listening:
        await proxy.cut()


async def ready(http: httpx.AsyncClient) -> int:
    try:
        return (await http.get("/health/ready", timeout=10)).status_code
    except httpx.TransportError:
        return 0


async def until(http: httpx.AsyncClient, status: int) -> float:
    began = time.monotonic()
    while await ready(http) != status:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def test_cut_delay_and_reset_under_load(
    proxied: tuple[Served, TcpProxy], record_property: Callable[[str, object], None]
) -> None:
    served, proxy = proxied
    async with httpx.AsyncClient(base_url=served.base, timeout=60) as http:
        owner = await sign_up(http)
        base = f"/v1/orgs/{owner.orgs[0]}/documents"
        stop = asyncio.Event()
        acknowledged: list[str] = []
        sent: list[str] = []
        statuses: Counter[int] = Counter()
        bare: list[str] = []

        async def writer(who: int) -> None:
            n = 0
            while not stop.is_set():
                title = f"writer {who} document {n}"
                sent.append(title)
                headers = owner.headers | {"Idempotency-Key": f"fault-{who}-{n}"}
                while True:  # the same request, with the same key, until it is answered 2xx
                    try:
                        r = await http.post(base, json={"title": title}, headers=headers)
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                        continue
                    statuses[r.status_code] += 1
                    if r.status_code >= 500 and not r.headers.get("content-type", "").startswith(
                        "application/problem+json"
                    ):
                        bare.append(f"{r.status_code} {r.text[:200]}")
                    if r.is_success:
                        acknowledged.append(title)
                        break
                    await asyncio.sleep(0.1)
                n += 1

        async def acknowledged_more(count: int, phase: str) -> None:
            """Under load: wait until ``count`` more writes were acknowledged (a hang guard
            names the phase in which writes stopped being acknowledged)."""
            target = len(acknowledged) + count

            async def more() -> None:
                while len(acknowledged) < target:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)

            try:
                await asyncio.wait_for(more(), 120)
            except TimeoutError:
                pytest.fail(f"no write acknowledged for 120 s {phase}: {dict(statuses)}")

        warm = await http.post(base, json={"title": "warm"}, headers=owner.headers)
        assert warm.status_code == 201, warm.text
        sent.append("warm")
        acknowledged.append("warm")
        writers = [asyncio.create_task(writer(i)) for i in range(WRITERS)]
        await acknowledged_more(WRITERS, "before the cut")
        await proxy.cut()
        unready_after = await until(http, 503)
        await asyncio.sleep(2)
        await proxy.start()
        ready_after = await until(http, 200)
        await acknowledged_more(WRITERS, "after the repair")
        proxy.delay = DELAY_S
        await acknowledged_more(WRITERS // 2, f"with {DELAY_S} s of delay")
        proxy.delay = 0.0
        for _ in range(5):  # connections reset in the middle of whatever they were doing
            await acknowledged_more(2, "between resets")
            proxy.reset()
        await acknowledged_more(WRITERS, "after the resets")
        stop.set()
        await asyncio.wait_for(asyncio.gather(*writers), 120)
        titles: Counter[str] = Counter()
        url: str | None = f"{base}?limit=100"
        while url:
            page = (await http.get(url, headers=owner.headers)).json()
            titles.update(d["title"] for d in page["items"])
            cursor = page["next_cursor"]
            url = f"{base}?limit=100&cursor={cursor}" if cursor else None
    assert bare == [], bare
    assert statuses[500] == 0, statuses
    lost = [t for t in acknowledged if titles[t] != 1]
    assert lost == [], lost
    assert sum(titles.values()) == len(acknowledged) == len(sent)  # each written once
    record_property(
        "figures",
        f"PostgreSQL through a fault proxy, {WRITERS} writers: readiness 503 "
        f"{unready_after:.2f} s after the cut, 200 {ready_after:.2f} s after the repair; "
        f"answers {dict(statuses)}; {len(acknowledged)} acknowledged, 0 lost, 0 duplicates, "
        "no 5xx without a problem body",
    )
