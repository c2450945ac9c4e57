"""The documents list's completeness column: the score the reader shows, for every listed
document, loaded in a batch (the statements of a page do not grow with its documents)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.documents.conftest import docs_url, filled, import_md
from tests.review.support import cast, import_filled
from tests.support.identity import Actor, sign_up
from tests.support.statements import counted
from tests.web.pages import Person

__all__ = ["filled"]

_READER_SCORE = re.compile(r"Completeness <strong>(\d+)%</strong>")


async def _documents(client: httpx.AsyncClient, owner: Actor, filled: str, blank: int) -> None:
    assert (await import_md(client, owner, filled)).status_code == 201
    for n in range(blank):
        created = await client.post(
            docs_url(owner), json={"title": f"Blank {n}"}, headers=owner.headers
        )
        assert created.status_code == 201, created.text


def _listed(page: str) -> dict[str, str]:
    rows = re.findall(
        r'<td data-label="Key">(DD-\d+)</td>.*?data-label="Complete">([^<]*)</td>', page, re.S
    )
    return dict(rows)


async def test_the_list_shows_the_readers_completeness(
    client: httpx.AsyncClient, person: Person, filled: str
) -> None:
    owner = await sign_up(client)
    await _documents(client, owner, filled, blank=1)
    await person.sign_in(owner.email)
    listed = _listed((await person.get(f"/ui/orgs/{owner.orgs[0]}/documents")).text)
    assert set(listed) == {"DD-1", "DD-2"}
    for key, shown in listed.items():
        reader = await person.get(f"/ui/orgs/{owner.orgs[0]}/documents/{key}")
        found = _READER_SCORE.search(reader.text)
        assert found is not None, reader.text[:2000]
        assert shown == f"{found.group(1)}%"
    assert listed["DD-1"] != listed["DD-2"]  # a filled document and a blank one differ
    # Cached by revision: listed again, the same figures.
    assert _listed((await person.get(f"/ui/orgs/{owner.orgs[0]}/documents")).text) == listed


async def test_the_completeness_column_is_loaded_in_a_batch(
    client: httpx.AsyncClient, person: Person, engine: AsyncEngine, filled: str
) -> None:
    """One document or five: the same number of statements for the first (uncached) list.
    (A first list warms what is loaded once per process, such as the built-in template.)"""
    counts = []
    for blank in (0, 0, 4):
        owner = await sign_up(client)
        await _documents(client, owner, filled, blank)
        await person.sign_in(owner.email)
        with counted(engine) as statements:
            page = await person.get(f"/ui/orgs/{owner.orgs[0]}/documents")
        assert len(_listed(page.text)) == blank + 1
        assert all(v.endswith("%") for v in _listed(page.text).values())
        counts.append(statements)
    assert len(counts[1]) == len(counts[2]), counts


async def test_the_list_filters_by_template_as_the_api_does(
    client: httpx.AsyncClient, person: Person, filled: str
) -> None:
    owner = await sign_up(client)
    await _documents(client, owner, filled, blank=1)
    await person.sign_in(owner.email)
    page = f"/ui/orgs/{owner.orgs[0]}/documents"
    assert set(_listed((await person.get(page, params={"template": "backend-server"})).text)) == {
        "DD-1",
        "DD-2",
    }
    assert _listed((await person.get(page, params={"template": "org:backend-server"})).text) == {}
    api = docs_url(owner)
    built_in = await client.get(api, params={"template": "backend-server"}, headers=owner.headers)
    assert {d["key"] for d in built_in.json()["items"]} == {"DD-1", "DD-2"}
    none = await client.get(api, params={"template": "org:other"}, headers=owner.headers)
    assert none.status_code == 200
    assert none.json()["items"] == []


async def test_the_list_shows_each_documents_owner_teams(
    client: httpx.AsyncClient, person: Person, engine: AsyncEngine
) -> None:
    """The teams whose ownership rules match sections of the head (as the approval view
    judges them); a document with no owned section shows none. Loaded in a batch."""
    people = await cast(client)
    key = await import_filled(client, people)
    blank = await client.post(
        people.url("/documents"), json={"title": "Blank"}, headers=people.author.headers
    )
    assert blank.status_code == 201, blank.text
    await person.sign_in(people.author.email)
    with counted(engine) as statements:
        page = (await person.get(f"/ui/orgs/{people.org}/documents")).text
    owners = dict(
        re.findall(
            r'<td data-label="Key">(DD-\d+)</td>.*?data-label="Owner teams">([^<]*)</td>',
            page,
            re.S,
        )
    )
    assert owners[key] == "dba, security"
    approval = await client.get(people.doc(key, "/approval"), headers=people.author.headers)
    assert sorted(o["team"] for o in approval.json()["owners"]) == ["dba", "security"]
    assert (
        sum(s.startswith("SELECT document.id, section_version.section_id") for s in statements) == 1
    )
