"""Real concurrency on separate connections: reviewers racing each other and the author.

No approval is lost (each accepted one is counted or visibly dismissed), none counts for
content its reviewer did not see, and a document is approved exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from tests.review.support import Cast, approval, cast, head, import_filled, ok, set_reviewers
from tests.support.live import retrying

pytestmark = pytest.mark.requirement("REQ-013")


async def in_review(client: httpx.AsyncClient, people: Cast) -> str:
    key = await import_filled(client, people)
    await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    revision = (await head(client, people, key))["revision"]
    ok(
        await client.post(
            people.doc(key, "/reviews"),
            json={"verdict": "approve", "revision": revision},
            headers=people.dba.headers,
        ),
        201,
    )
    return key


def approve(client: httpx.AsyncClient, people: Cast, key: str, who: Any, revision: int) -> Any:
    return retrying(
        lambda: client.post(
            people.doc(key, "/reviews"),
            json={"verdict": "approve", "revision": revision},
            headers=who.headers,
        )
    )


async def test_reviewers_racing_the_author(live: httpx.AsyncClient) -> None:
    people = await cast(live)
    for _ in range(4):
        key = await in_review(live, people)
        read = await head(live, people, key)
        section = await live.get(people.doc(key, "/sections/7.1"), headers=people.author.headers)

        url = people.doc(key, "/sections/7.1")
        body = {"body": section.json()["body"] + "\nRaced.\n"}
        edit_headers = people.author.headers | {"If-Match": section.headers["etag"]}

        def edit(
            url: str = url, body: dict[str, str] = body, headers: dict[str, str] = edit_headers
        ) -> Awaitable[httpx.Response]:
            return retrying(lambda: live.put(url, json=body, headers=headers))

        lead, sec, edited = await asyncio.gather(
            approve(live, people, key, people.lead, read["revision"]),
            approve(live, people, key, people.security, read["revision"]),
            edit(),
        )
        assert edited.status_code == 200, edited.text
        view = await approval(live, people, key)
        accepted = {r.json()["id"] for r in (lead, sec) if r.status_code == 201}
        for response in (lead, sec):
            if response.status_code != 201:  # after the edit: it had not seen §7.1 as it is
                assert response.status_code == 409, response.text
                assert response.json()["code"] == "stale_review"
        if view["status"] == "draft":
            # Both approvals landed before the edit: approved as read, then a new draft.
            signed = view["last_approved"]["approvals"]
            assert accepted <= {a["review_id"] for a in signed}  # with the dba's
            assert len(signed) == 3
            assert view["version"] == "1.1"
            then = {s["id"]: s["content_hash"] for s in read["sections"]}
            assert all(then[s["section_id"]] == s["hash"] for a in signed for s in a["sections"])
            continue
        assert view["status"] == "in_review"
        # Accepted before the edit: now visibly dismissed, and never counted.
        assert accepted == {d["id"] for d in view["dismissed"]}
        assert not any(a["counts"] for a in view["approvals"] if a["review_id"] in accepted)


async def test_the_last_two_approvals_racing_approve_once(live: httpx.AsyncClient) -> None:
    people = await cast(live)
    for _ in range(4):
        key = await in_review(live, people)
        read = await head(live, people, key)
        lead, sec = await asyncio.gather(
            approve(live, people, key, people.lead, read["revision"]),
            approve(live, people, key, people.security, read["revision"]),
        )
        assert (lead.status_code, sec.status_code) == (201, 201), (lead.text, sec.text)
        after = await head(live, people, key)
        assert (after["status"], after["version"]) == ("approved", "1.0")
        assert after["revision"] == read["revision"] + 1  # one approval revision, not two
        signed = (await approval(live, people, key))["last_approved"]["approvals"]
        assert {a["reviewer"] for a in signed} == people.names(
            people.dba, people.lead, people.security
        )
        revisions = ok(await live.get(people.doc(key, "/revisions"), headers=people.author.headers))
        assert [r["version"] for r in revisions["items"]].count("1.0") == 1
