"""SQL statements of the reader page, warm (issue 10; design §10.4): the page reads the
head's sections once and hands them to the review and comment services, which judge the
round and place the threads on them; a change that adds a query here has to say why."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.documents.test_hot_statements import settings
from tests.review.support import cast, import_filled, ok, verdict
from tests.support.statements import counted
from tests.web.pages import Person

__all__ = ["settings"]  # the access cache kept for the whole test, as the hot-path counts


async def test_the_reader_page_statements_are_pinned(
    client: httpx.AsyncClient, person: Person, engine: AsyncEngine
) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    headers = people.author.headers
    ok(await client.post(people.doc(key, "/submission"), json={}, headers=headers), 201)
    for n in range(3):
        body = {"section": "7.1", "body": f"Thread {n}", "blocking": n == 0}
        ok(await client.post(people.doc(key, "/comments"), json=body, headers=headers), 201)
    ok(await verdict(client, people, people.security, key, "approve"), 201)
    await person.sign_in(people.author.email)
    url = f"/ui/orgs/{people.org}/documents/{key}"
    assert (await person.get(url)).status_code == 200  # warms the render and lint caches
    with counted(engine) as statements:
        page = await person.get(url)
    assert page.status_code == 200
    # What the services judged and placed on the sections read once: §7.1's owner, its
    # three open threads, the round.
    assert "3 open threads" in page.text
    assert "security" in page.text
    assert "round 1 open" in page.text
    # §7's sections, approved by the security team's reviewer at the hash they hold now.
    assert f'approved by {people.name(people.security)} at <code title="content hash">' in page.text
    # The session; the document, its revision and its sections (once: 3 each before);
    # the lint policy (the lint itself is cached); the open and last approved rounds (one
    # statement), the review policy, reviewers, owning teams' members, verdicts (once),
    # authors, blocking threads and questions; the threads and their replies; the versions.
    assert len(statements) == 16, "\n".join(statements)
    assert sum(s.startswith("SELECT section_version.") for s in statements) == 1, statements
