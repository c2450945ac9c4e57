"""Section edits with If-Match, concurrent edits, revisions, older versions, diffs."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.documents.models import SectionVersion
from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

pytestmark = pytest.mark.requirement("REQ-017")


async def created(client: httpx.AsyncClient, owner: Actor) -> None:
    response = await client.post(docs_url(owner), json={"title": "Svc"}, headers=owner.headers)
    assert response.status_code == 201


async def test_section_by_id_or_number(client: httpx.AsyncClient, owner: Actor) -> None:
    await created(client, owner)
    by_number = await client.get(docs_url(owner, "/DD-1/sections/3.3"), headers=owner.headers)
    assert by_number.json()["title"] == "Key Architectural Decisions"
    by_id = await client.get(
        docs_url(owner, f"/DD-1/sections/{by_number.json()['id']}"), headers=owner.headers
    )
    assert by_id.json() == by_number.json()
    assert by_id.headers["etag"] == by_number.headers["etag"]
    assert_problem(
        await client.get(docs_url(owner, "/DD-1/sections/99.9"), headers=owner.headers),
        404,
        "section_not_found",
    )
    listed = (await client.get(docs_url(owner, "/DD-1/sections"), headers=owner.headers)).json()
    assert listed[0]["number"] == "1"


async def test_the_loser_of_an_edit_race_gets_412_and_nothing_is_lost(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await created(client, owner)
    url = docs_url(owner, "/DD-1/sections/1.1")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    first = await client.put(
        url, json={"body": "Alice's purpose."}, headers=owner.headers | {"If-Match": etag}
    )
    second = await client.put(
        url, json={"body": "Bob's purpose."}, headers=owner.headers | {"If-Match": etag}
    )
    assert first.status_code == 200
    assert_problem(second, 412, "precondition_failed")
    assert second.headers["etag"] == first.headers["etag"]
    assert (await client.get(url, headers=owner.headers)).json()["body"] == "Alice's purpose."
    assert_problem(
        await client.put(url, json={"body": "x"}, headers=owner.headers),
        428,
        "precondition_required",
    )


async def test_edits_of_different_sections_do_not_conflict(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await created(client, owner)
    urls = [docs_url(owner, f"/DD-1/sections/{n}") for n in ("1.1", "1.2")]
    # Both editors read before either writes; each section's ETag still holds for its own.
    etags = [(await client.get(u, headers=owner.headers)).headers["etag"] for u in urls]
    results = [
        await client.put(u, json={"body": f"Edited {i}."}, headers=owner.headers | {"If-Match": e})
        for i, (u, e) in enumerate(zip(urls, etags, strict=True))
    ]
    assert [r.status_code for r in results] == [200, 200]
    doc = (await client.get(docs_url(owner, "/DD-1"), headers=owner.headers)).json()
    assert doc["revision"] == 3
    assert {s["number"]: s["body"] for s in doc["sections"] if s["number"] in ("1.1", "1.2")} == {
        "1.1": "Edited 0.",
        "1.2": "Edited 1.",
    }


async def test_a_body_that_would_break_the_document_is_refused(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await created(client, owner)
    url = docs_url(owner, "/DD-1/sections/1.1")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    for body in ("Text\n\n## 9. Smuggled section\n\nmore", "```\nunclosed fence"):
        response = await client.put(
            url, json={"body": body}, headers=owner.headers | {"If-Match": etag}
        )
        problem = assert_problem(response, 422, "invalid_markdown")
        assert problem["errors"][0]["pointer"] == "/body"  # type: ignore[index]


async def test_push_of_whole_markdown(client: httpx.AsyncClient, owner: Actor, filled: str) -> None:
    imported = await import_md(client, owner, filled)
    key, etag = imported.json()["key"], imported.headers["etag"]
    exported = (
        await client.get(docs_url(owner, f"/{key}?format=markdown"), headers=owner.headers)
    ).text
    edited = exported.replace("## 1. Introduction", "## 1. Introduction and Overview", 1)
    url = docs_url(owner, f"/{key}")
    md = owner.headers | {"Content-Type": "text/markdown"}
    assert_problem(
        await client.put(url, content=edited.encode(), headers=md), 428, "precondition_required"
    )
    pushed = await client.put(url, content=edited.encode(), headers=md | {"If-Match": etag})
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["revision"] == 2
    assert pushed.json()["warnings"] == []  # the exported key, version and status match
    revisions = (
        await client.get(docs_url(owner, f"/{key}/revisions"), headers=owner.headers)
    ).json()
    # A section's title is part of its content (what a reviewer approves).
    assert revisions["items"][0]["changes"] == [
        {"section_id": pushed.json()["sections"][0]["id"], "number": "1", "change": "changed"}
    ]
    same = await client.put(
        url, content=edited.encode(), headers=md | {"If-Match": pushed.headers["etag"]}
    )
    assert same.json()["revision"] == 2  # nothing changed: no new revision
    stale = await client.put(url, content=exported.encode(), headers=md | {"If-Match": etag})
    assert_problem(stale, 412, "precondition_failed")
    assert_problem(
        await client.put(url, json={"x": 1}, headers=owner.headers | {"If-Match": etag}),
        415,
        "unsupported_media_type",
    )


async def test_ids_survive_a_push_without_id_comments(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    imported = (await import_md(client, owner, filled)).json()
    before = {s["number"]: s["id"] for s in imported["sections"]}
    exported = (
        await client.get(
            docs_url(owner, f"/{imported['key']}?format=markdown"), headers=owner.headers
        )
    ).text
    import re

    stripped = re.sub(r"<!-- signoff:section [^>]*-->\n", "", exported)
    stripped = stripped.replace("### 1.1 Purpose", "### 1.1 Purpose of the service")
    etag = (
        await client.get(docs_url(owner, f"/{imported['key']}"), headers=owner.headers)
    ).headers["etag"]
    pushed = await client.put(
        docs_url(owner, f"/{imported['key']}"),
        content=stripped.encode(),
        headers=owner.headers | {"Content-Type": "text/markdown", "If-Match": etag},
    )
    after = {s["number"]: s["id"] for s in pushed.json()["sections"]}
    assert after == before  # matched by number and title, then by number for the renamed one


async def test_history_older_versions_and_diff(client: httpx.AsyncClient, owner: Actor) -> None:
    await created(client, owner)
    url = docs_url(owner, "/DD-1/sections/2.1")
    for text in ("First overview.", "Second overview."):
        etag = (await client.get(url, headers=owner.headers)).headers["etag"]
        await client.put(url, json={"body": text}, headers=owner.headers | {"If-Match": etag})
    history = (await client.get(docs_url(owner, "/DD-1/revisions"), headers=owner.headers)).json()
    assert [(r["number"], r["version"]) for r in history["items"]] == [
        (3, "0.3"),
        (2, "0.2"),
        (1, "0.1"),
    ]
    assert history["items"][0]["created_by"] == f"user:{owner.user_id}"
    old = await client.get(docs_url(owner, "/DD-1?version=0.2"), headers=owner.headers)
    assert (
        next(s for s in old.json()["sections"] if s["number"] == "2.1")["body"] == "First overview."
    )
    old_md = await client.get(
        docs_url(owner, "/DD-1?revision=2&format=markdown"), headers=owner.headers
    )
    assert "First overview." in old_md.text
    assert "version: '0.2'" in old_md.text
    assert_problem(
        await client.get(docs_url(owner, "/DD-1?revision=9"), headers=owner.headers),
        404,
        "revision_not_found",
    )
    detail = (await client.get(docs_url(owner, "/DD-1/revisions/2"), headers=owner.headers)).json()
    assert detail["changes"][0]["number"] == "2.1"
    diff = (
        await client.get(
            docs_url(owner, "/DD-1/diff"), params={"from": "0.2", "to": "3"}, headers=owner.headers
        )
    ).json()
    changed = [s for s in diff["sections"] if s["status"] != "unchanged"]
    assert [(c["number"], c["status"]) for c in changed] == [("2.1", "changed")]
    assert "-First overview." in changed[0]["diff"]
    assert "+Second overview." in changed[0]["diff"]
    assert (diff["from"]["version"], diff["to"]["version"]) == ("0.2", "0.3")


async def test_unchanged_sections_are_stored_once(
    client: httpx.AsyncClient, owner: Actor, connection: AsyncConnection
) -> None:
    await created(client, owner)
    doc = (await client.get(docs_url(owner, "/DD-1"), headers=owner.headers)).json()
    count = (
        select(func.count())
        .select_from(SectionVersion)
        .where(SectionVersion.document_id == uuid.UUID(doc["id"]))
    )
    before = (await connection.execute(count)).scalar_one()
    url = docs_url(owner, "/DD-1/sections/1.1")
    for n in range(3):
        etag = (await client.get(url, headers=owner.headers)).headers["etag"]
        await client.put(
            url, json={"body": f"Version {n}."}, headers=owner.headers | {"If-Match": etag}
        )
    after = (await connection.execute(count)).scalar_one()
    assert after - before == 3  # one new section state per edit, not a copy of all 83
