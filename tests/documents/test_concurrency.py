"""Real concurrency: parallel requests on separate connections, each committing.

On PostgreSQL the row locks are exercised; on SQLite, BEGIN IMMEDIATE serializes writers.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.identity import Actor, sign_up
from tests.support.live import retrying

pytestmark = pytest.mark.requirement("REQ-018")


async def test_parallel_creation_gives_distinct_keys(live: httpx.AsyncClient) -> None:
    owner: Actor = await sign_up(live)
    url = f"/v1/orgs/{owner.orgs[0]}/documents"

    async def create(n: int) -> httpx.Response:
        return await retrying(
            lambda: live.post(url, json={"title": f"Doc {n}"}, headers=owner.headers)
        )

    responses = await asyncio.gather(*(create(n) for n in range(12)))
    assert [r.status_code for r in responses] == [201] * 12
    keys = sorted(int(r.json()["key"].removeprefix("DD-")) for r in responses)
    assert keys == list(range(1, 13))  # distinct, and no number skipped or reused


async def test_parallel_edits_of_different_sections_all_land(live: httpx.AsyncClient) -> None:
    owner = await sign_up(live)
    base = f"/v1/orgs/{owner.orgs[0]}/documents"
    await live.post(base, json={"title": "Busy"}, headers=owner.headers)
    numbers = ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2"]
    etags = {
        n: (await live.get(f"{base}/DD-1/sections/{n}", headers=owner.headers)).headers["etag"]
        for n in numbers
    }

    async def edit(n: str) -> httpx.Response:
        return await retrying(
            lambda: live.put(
                f"{base}/DD-1/sections/{n}",
                json={"body": f"Text of {n}."},
                headers=owner.headers | {"If-Match": etags[n]},
            )
        )

    assert [r.status_code for r in await asyncio.gather(*(edit(n) for n in numbers))] == [200] * 6
    doc = (await live.get(f"{base}/DD-1", headers=owner.headers)).json()
    assert doc["revision"] == 1 + len(numbers)
    assert {s["number"]: s["body"] for s in doc["sections"] if s["number"] in numbers} == {
        n: f"Text of {n}." for n in numbers
    }
    history = (await live.get(f"{base}/DD-1/revisions?limit=100", headers=owner.headers)).json()
    assert [r["number"] for r in history["items"]] == list(range(7, 0, -1))  # gapless


async def test_same_section_race_has_one_winner(live: httpx.AsyncClient) -> None:
    owner = await sign_up(live)
    base = f"/v1/orgs/{owner.orgs[0]}/documents"
    await live.post(base, json={"title": "Contested"}, headers=owner.headers)
    url = f"{base}/DD-1/sections/1.1"
    etag = (await live.get(url, headers=owner.headers)).headers["etag"]

    async def edit(who: str) -> httpx.Response:
        return await retrying(
            lambda: live.put(
                url, json={"body": f"{who} wrote this."}, headers=owner.headers | {"If-Match": etag}
            )
        )

    responses = await asyncio.gather(*(edit(w) for w in ("alice", "bob", "carol", "dave")))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412, 412, 412]
    winner = next(r for r in responses if r.status_code == 200).json()["body"]
    assert (await live.get(url, headers=owner.headers)).json()["body"] == winner
