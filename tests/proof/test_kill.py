"""Row 1 of issue 11: `kill -9` of the server while 20 clients write (section PUTs with
If-Match, document POSTs with Idempotency-Key); restart; replay every request that got no
answer, with the same key and the same If-Match. No acknowledged write is lost, and none is
done twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.proof.conftest import Served, sized
from tests.support.identity import Actor
from tests.support.live import retrying

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-003", "REQ-006")]

CLIENTS = 20


@dataclass
class Write:
    method: str
    url: str
    text: str  # the document's title, or the section's body: unique per write
    headers: dict[str, str]
    answer: int | None = None  # None: no answer (the server died)

    async def send(self, http: httpx.AsyncClient) -> None:
        body = {"title": self.text} if self.method == "POST" else {"body": self.text}
        try:
            response = await retrying(
                lambda: http.request(self.method, self.url, json=body, headers=self.headers)
            )
        except httpx.TransportError:
            return
        self.answer = response.status_code


async def test_kill_9_loses_no_acknowledged_write_and_does_none_twice(
    served: Served,
    http: httpx.AsyncClient,
    owner: Actor,
    record_property: Callable[[str, object], None],
) -> None:
    per_client = sized(ci=6, proof=50)
    base = f"/v1/orgs/{owner.orgs[0]}/documents"
    made = await http.post(base, json={"title": "Target"}, headers=owner.headers)
    assert made.status_code == 201, made.text
    sections = [s["number"] for s in made.json()["sections"]]
    writes: list[Write] = []
    killed = asyncio.Event()

    async def client(who: int) -> None:
        section = f"{base}/DD-1/sections/{sections[who % len(sections)]}"
        for n in range(per_client):
            text = f"client {who} write {n}"
            if n % 2 == 0:
                key = {"Idempotency-Key": f"kill-{who}-{n}"}
                write = Write("POST", base, text, owner.headers | key)
            else:
                try:
                    etag = (await http.get(section, headers=owner.headers)).headers["etag"]
                except httpx.TransportError:
                    return  # the server is gone: nothing more is sent
                write = Write("PUT", section, text, owner.headers | {"If-Match": etag})
            writes.append(write)
            await write.send(http)
            if write.answer is None:
                return

    async def killer() -> None:
        # Half-way through the writes, as some are in flight.
        while sum(w.answer is not None for w in writes) < CLIENTS * per_client // 2:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        served.process.send_signal(signal.SIGKILL)
        killed.set()

    kill = asyncio.create_task(killer())
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    await kill
    assert killed.is_set()
    assert served.process.wait(10) == -signal.SIGKILL
    acknowledged = [w for w in writes if w.answer is not None and w.answer < 300]
    # No answer, or 503 (PostgreSQL's pool under 20 writers): not done, to be sent again.
    unanswered = [w for w in writes if w.answer in (None, 503)]
    for w in writes:
        assert w.answer in (None, 200, 201, 412, 503), (w.method, w.answer)
    with served.again():
        async with httpx.AsyncClient(base_url=served.base, timeout=60) as again:
            for w in unanswered:
                for _ in range(20):
                    await w.send(again)
                    if w.answer not in (None, 503):
                        break
                    await asyncio.sleep(0.5)
                assert w.answer in (200, 201, 412), (w.method, w.text, w.answer)
            titles = Counter[str]()
            url: str | None = f"{base}?limit=100"
            while url:
                page = (await again.get(url, headers=owner.headers)).json()
                titles.update(d["title"] for d in page["items"])
                url = (
                    f"{base}?limit=100&cursor={page['next_cursor']}"
                    if page["next_cursor"]
                    else None
                )
            bodies = Counter[str]()
            head = (await again.get(f"{base}/DD-1", headers=owner.headers)).json()["revision"]
            for number in range(2, head + 1):
                at = await again.get(f"{base}/DD-1?revision={number}", headers=owner.headers)
                previous = await again.get(
                    f"{base}/DD-1?revision={number - 1}", headers=owner.headers
                )
                before = {s["id"]: s["body"] for s in previous.json()["sections"]}
                bodies.update(
                    s["body"] for s in at.json()["sections"] if before.get(s["id"]) != s["body"]
                )
    posts = [w for w in writes if w.method == "POST"]
    puts = [w for w in writes if w.method == "PUT"]
    lost = [w.text for w in acknowledged if (titles if w.method == "POST" else bodies)[w.text] != 1]
    assert lost == [], lost  # every acknowledged write is there, once
    # Every POST, answered before the kill or replayed after it, made exactly one document.
    assert all(titles[w.text] == 1 for w in posts), [w.text for w in posts if titles[w.text] != 1]
    assert all(bodies[w.text] <= 1 for w in puts)  # no edit done twice
    assert sum(titles.values()) == 1 + len(posts)  # nothing else was created
    record_property(
        "figures",
        f"kill -9 after {len(writes)} writes sent by {CLIENTS} clients: "
        f"{len(acknowledged)} acknowledged, {len(unanswered)} unanswered and replayed; "
        "0 acknowledged lost, 0 duplicates",
    )
