"""Row 3 of issue 11 at its own shape: SIGTERM while requests are in progress, slow clients
still sending their bodies and large imports being worked on. Every request in progress
completes (201), a connection opened after the signal is refused, and the process exits
within the drain timeout (``SIGNOFF_SERVER__GRACEFUL_SHUTDOWN_S``).

``tests/e2e/test_robustness.py`` covers the other half: requests that had arrived but that
the busy server had not started yet are answered (503 with ``Connection: close``), never
cut."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from signoff.core.config import DatabaseSettings
from signoff.migrations import runner
from tests.documents.conftest import FIXTURES
from tests.proof.conftest import Served, proof_env, serve
from tests.support.databases import backend_of
from tests.support.identity import Actor
from tests.support.proof import sized

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-010")]

SLOW = sized(ci=12, proof=70)  # clients that send half their body, then trickle the rest
LARGE = sized(ci=4, proof=30)  # imports of a large document, sent whole
DRAIN_S = 30  # SIGNOFF_SERVER__GRACEFUL_SHUTDOWN_S's default, which the server runs with


def large_document() -> bytes:
    """The filled template with a long overview: about 400 KiB of Markdown (a section may
    hold 512 KiB: ``SIGNOFF_LIMITS__MAX_SECTION_BYTES``)."""
    text = (FIXTURES / "filled-document.md").read_text("utf-8")
    paragraph = "The service keeps every acknowledged write. " * 20 + "\n\n"
    heading = re.search(r"^## 1\..*$", text, re.MULTILINE)
    assert heading is not None
    at = heading.end() + 1
    return (text[:at] + "\n" + paragraph * 400 + text[at:]).encode()


async def post_import(
    port: int,
    owner: Actor,
    body: bytes,
    *,
    sent_first: int,
    started: list[int],
    go: asyncio.Event,
) -> str | None:
    """One Markdown import on its own connection: ``sent_first`` bytes of the body before
    ``go``, the rest after it in ten pieces a tenth of a second apart. The status, or None
    when the connection closed without a response."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/orgs/{owner.orgs[0]}/documents HTTP/1.1\r\nHost: signoff\r\n"
        f"Authorization: {owner.headers['Authorization']}\r\n"
        f"Content-Type: text/markdown\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        writer.write(head + body[:sent_first])
        await writer.drain()
        started.append(1)
        await go.wait()
        rest = body[sent_first:]
        step = max(1, -(-len(rest) // 10))
        for at in range(0, len(rest), step):
            writer.write(rest[at : at + step])
            await writer.drain()
            await asyncio.sleep(0.1)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), DRAIN_S * 2)
        length = re.search(rb"content-length: *(\d+)", answer, re.IGNORECASE)
        content = await reader.readexactly(int(length.group(1))) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    finally:
        writer.close()
    status = answer.split(b" ", 2)[1].decode()
    return status if status == "201" else f"{status} {json.loads(content).get('code')}"


async def in_flight(http: httpx.AsyncClient) -> int:
    """Requests the server is working on, the scrape itself not counted."""
    text = (await http.get("/metrics")).text
    found = re.search(r"^signoff_http_requests_in_flight(?:\{[^}]*\})? (\S+)$", text, re.M)
    assert found is not None, text[:500]
    return int(float(found.group(1))) - 1


async def refused(port: int) -> str:
    """What a connection opened now gets: refused, or answered 503 and closed."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionError:
        return "refused"
    try:
        writer.write(b"GET /health/live HTTP/1.1\r\nHost: signoff\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    except (asyncio.IncompleteReadError, ConnectionError):
        return "reset"
    finally:
        writer.close()
    status = head.split(b" ", 2)[1].decode()
    return f"{status} close" if b"connection: close" in head.lower() else status


@pytest.fixture
async def served(server_database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    """The proofs' server, with a request timeout longer than this test: the slow clients
    are in progress from before the signal until after it, and what is measured is the
    drain, not the timeout."""
    url = proof_env(server_database_url, tmp_path)["SIGNOFF_DATABASE__URL"]
    await asyncio.to_thread(runner.upgrade, DatabaseSettings(url=url))
    with serve(server_database_url, tmp_path, SIGNOFF_SERVER__REQUEST_TIMEOUT_S="600") as server:
        yield server


async def test_sigterm_lets_slow_clients_and_large_imports_finish(
    served: Served,
    http: httpx.AsyncClient,
    owner: Actor,
    record_property: Callable[[str, object], None],
) -> None:
    large = large_document()
    small = (FIXTURES / "filled-document.md").read_bytes()
    started: list[int] = []
    go = asyncio.Event()
    calls = [
        post_import(served.port, owner, small, sent_first=len(small) // 2, started=started, go=go)
        for _ in range(SLOW)
    ] + [
        post_import(served.port, owner, large, sent_first=len(large), started=started, go=go)
        for _ in range(LARGE)
    ]
    tasks = [asyncio.create_task(call) for call in calls]
    while len(started) < len(tasks):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    # Signalled only once the server is working on every one of them: in flight, not queued.
    deadline = time.monotonic() + 120
    while (working := await in_flight(http)) < len(tasks):
        assert time.monotonic() < deadline, f"only {working} of {len(tasks)} in flight"
        await asyncio.sleep(0.05)
    began = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    go.set()
    await asyncio.sleep(0.5)
    late = await refused(served.port)
    statuses = Counter(await asyncio.gather(*tasks))
    answered_by = time.monotonic() - began
    await asyncio.to_thread(served.process.wait, DRAIN_S + 30)
    exited_by = time.monotonic() - began
    record_property(
        "figures",
        f"SIGTERM with {SLOW} slow clients and {LARGE} imports of "
        f"{len(large) // 1024} KiB in flight: {dict(statuses)}; a connection 0.5 s later: "
        f"{late}; last answer after {answered_by:.1f} s, exit after {exited_by:.1f} s "
        f"(drain timeout {DRAIN_S} s)",
    )
    assert statuses[None] == 0, statuses  # every request in progress was answered
    if backend_of(served.env["SIGNOFF_DATABASE__URL"]) == "sqlite":
        # SQLite has one writer: imports that wait longer than its busy timeout for the
        # write lock are answered 409 (retry), drain or not (tests/e2e/test_robustness.py).
        assert {s.split()[0] for s in statuses if s} <= {"201", "409"}, statuses
    else:
        assert statuses == Counter({"201": len(tasks)}), statuses
    assert late in {"refused", "503 close"}, late
    # uvicorn re-raises the signal once it has stopped gracefully: the status says SIGTERM.
    assert served.process.returncode in (0, -signal.SIGTERM), served.process.returncode
    assert exited_by < DRAIN_S, (answered_by, exited_by)
