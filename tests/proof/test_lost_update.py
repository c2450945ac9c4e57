"""Row 4 of issue 11: the lost-update race on a real server. Many clients edit one section,
each with the ETag it last read as `If-Match`: every edit that was acknowledged is a revision
of the history, and every other got 412, never a silent overwrite."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.proof.conftest import sized
from tests.support.identity import Actor
from tests.support.live import retrying

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-018")]

CLIENTS = 20


async def test_every_acknowledged_edit_is_in_the_history(
    http: httpx.AsyncClient, owner: Actor, record_property: Callable[[str, object], None]
) -> None:
    edits = sized(ci=4, proof=50)
    base = f"/v1/orgs/{owner.orgs[0]}/documents"
    created = await http.post(base, json={"title": "Contested"}, headers=owner.headers)
    assert created.status_code == 201, created.text
    url = f"{base}/DD-1/sections/1.1"

    async def client(who: int) -> list[tuple[str, httpx.Response]]:
        results = []
        for n in range(edits):
            read = await http.get(url, headers=owner.headers)
            assert read.status_code == 200, read.text
            text = f"Client {who} edit {n}."
            headers = owner.headers | {"If-Match": read.headers["etag"]}
            put = await retrying(
                lambda text=text, headers=headers: http.put(  # type: ignore[misc]
                    url, json={"body": text}, headers=headers
                )
            )
            results.append((text, put))
        return results

    results = [r for rs in await asyncio.gather(*(client(i) for i in range(CLIENTS))) for r in rs]
    statuses = Counter(r.status_code for _, r in results)
    won = [text for text, r in results if r.is_success]
    for _, response in results:
        if not response.is_success:
            assert response.status_code == 412, response.text
            assert response.headers["content-type"] == "application/problem+json"
    # The history: revision 1 is the template; each later one is exactly one edit of 1.1.
    head = (await http.get(f"{base}/DD-1", headers=owner.headers)).json()["revision"]
    assert head == 1 + len(won), (head, statuses)
    bodies = []
    for number in range(2, head + 1):
        at = await http.get(f"{base}/DD-1", params={"revision": number}, headers=owner.headers)
        bodies.append(next(s["body"] for s in at.json()["sections"] if s["number"] == "1.1"))
    assert sorted(bodies) == sorted(won)  # every acknowledged edit, once; nothing else
    record_property(
        "figures",
        f"{CLIENTS} clients x {edits} edits of one section: {dict(statuses)}; "
        f"{len(won)} acknowledged, {len(won)} in the history, losers all 412",
    )
