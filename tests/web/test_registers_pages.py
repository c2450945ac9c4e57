"""The registers and traceability pages: what they show, adding a row, confirming a suspect
link, and the same tenancy and CSRF rules as every page."""

from __future__ import annotations

import re

import httpx

from tests.documents.conftest import docs_url, filled, import_md, owner
from tests.support.identity import Actor, join, sign_up
from tests.web.pages import Person

__all__ = ["filled", "owner"]


async def imported(client: httpx.AsyncClient, actor: Actor, text: str) -> str:
    response = await import_md(client, actor, text)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def test_every_register_renders_with_its_rows_and_flags(
    client: httpx.AsyncClient, owner: Actor, filled: str, person: Person
) -> None:
    key = await imported(client, owner, filled)
    await person.sign_in(owner.email)
    base = f"/ui/orgs/{owner.orgs[0]}/documents/{key}"
    home = await person.get(base + "/registers")
    assert home.status_code == 303
    assert home.headers["location"].endswith("/registers/requirements")
    rows = (
        await client.get(docs_url(owner, f"/{key}/requirements"), headers=owner.headers)
    ).json()["items"]
    page = await person.get(base + "/registers/requirements")
    assert page.status_code == 200, page.text[-2000:]
    for row in rows:
        assert row["text"]["requirement_id"] in page.text
    assert "Trace status" in page.text
    assert "designed" in page.text
    for register in ("decisions", "risks", "questions", "glossary"):
        r = await person.get(f"{base}/registers/{register}")
        assert r.status_code == 200, (register, r.text[-2000:])
        assert 'aria-current="page"' in r.text
    # Filtering keeps the matching rows only.
    first = rows[0]["text"]["requirement_id"]
    only = await person.get(base + "/registers/requirements", params={"q": first})
    assert only.text.count('<tr id="row-') == sum(
        first.lower() in " ".join(r["text"].values()).lower() for r in rows
    )
    unknown = await person.get(base + "/registers/performance-budget")
    assert unknown.status_code == 404


async def test_adding_a_row_writes_the_table_and_a_refusal_is_beside_its_field(
    client: httpx.AsyncClient, owner: Actor, filled: str, person: Person
) -> None:
    key = await imported(client, owner, filled)
    await person.sign_in(owner.email)
    url = f"/ui/orgs/{owner.orgs[0]}/documents/{key}/registers/glossary"
    await person.get(url)
    added = await person.post(url, {"term": "Signoff", "definition": "A review tool."})
    assert added.status_code == 303, added.text[-2000:]
    terms = (await client.get(docs_url(owner, f"/{key}/glossary"), headers=owner.headers)).json()[
        "items"
    ]
    assert "Signoff" in [t["text"]["term"] for t in terms]
    # A missing definition: the form again, the message beside the field, the text kept.
    refused = await person.post(url, {"term": "Lonely", "definition": ""})
    assert refused.status_code == 422, refused.text[-2000:]
    assert re.search(r'id="f-definition"[^>]*aria-invalid="true"', refused.text)
    assert 'id="e-definition"' in refused.text
    assert 'value="Lonely"' in refused.text
    # An invalid requirement id is the API's own pattern rule.
    req = f"/ui/orgs/{owner.orgs[0]}/documents/{key}/registers/requirements"
    bad = await person.post(req, {"requirement_id": "9 bad", "summary": "x"})
    assert bad.status_code == 422
    assert 'id="e-requirement_id"' in bad.text


async def test_a_suspect_link_is_marked_and_confirmed_from_the_matrix(
    client: httpx.AsyncClient, owner: Actor, filled: str, person: Person
) -> None:
    key = await imported(client, owner, filled)
    url = docs_url(owner, f"/{key}/sections/7.2")
    section = await client.get(url, headers=owner.headers)
    changed = await client.put(
        url,
        json={"body": section.json()["body"] + "\n\nOne more rule."},
        headers=owner.headers | {"If-Match": section.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    await person.sign_in(owner.email)
    page_url = f"/ui/orgs/{owner.orgs[0]}/documents/{key}/traceability"
    page = await person.get(page_url)
    assert page.status_code == 200, page.text[-2000:]
    [link] = re.findall(r"/trace-links/([0-9a-f-]{36})/confirm", page.text)
    assert "1 suspect" in page.text
    assert f'<textarea id="note-{link}" name="note"' in page.text
    confirm_url = f"/ui/orgs/{owner.orgs[0]}/documents/{key}/trace-links/{link}/confirm"
    too_long = await person.post(confirm_url, {"note": "x" * 2001})
    assert too_long.status_code == 422
    assert "longer than 2000 characters" in too_long.text
    note = "The added rule does not change what REQ-001 asks."
    confirmed = await person.post(confirm_url, {"note": note})
    assert confirmed.status_code == 303, confirmed.text[-2000:]
    suspects = await client.get(
        docs_url(owner, f"/{key}/trace-links"), params={"suspect": "true"}, headers=owner.headers
    )
    assert suspects.json()["items"] == []
    kept = await client.get(docs_url(owner, f"/{key}/trace-links/{link}"), headers=owner.headers)
    assert kept.json()["confirmation_note"] == note
    assert "No suspect link." in (await person.get(page_url)).text


async def test_a_reader_sees_the_registers_but_cannot_change_them(
    client: httpx.AsyncClient, owner: Actor, filled: str, person: Person
) -> None:
    key = await imported(client, owner, filled)
    viewer = await join(client, owner, owner.orgs[0], "viewer")
    await person.sign_in(viewer.email)
    url = f"/ui/orgs/{owner.orgs[0]}/documents/{key}/registers/glossary"
    page = await person.get(url)
    assert page.status_code == 200
    assert "Add a row" not in page.text
    refused = await person.post(url, {"term": "X", "definition": "Y"})
    assert refused.status_code == 403


async def test_another_organizations_registers_are_a_404_and_a_post_needs_csrf(
    client: httpx.AsyncClient, owner: Actor, filled: str, person: Person
) -> None:
    key = await imported(client, owner, filled)
    stranger = await sign_up(client)
    await person.sign_in(stranger.email)
    base = f"/ui/orgs/{owner.orgs[0]}/documents/{key}"
    for path in ("/registers/requirements", "/registers/risks", "/traceability"):
        r = await person.get(base + path)
        assert r.status_code == 404, path
        assert "problem" not in r.headers["content-type"]
    # Their own organization, a POST without the token: refused, nothing written.
    mine = await imported(client, stranger, filled)
    url = f"/ui/orgs/{stranger.orgs[0]}/documents/{mine}/registers/glossary"
    await person.get(url)
    bare = await person.client.post(url, data={"term": "Nope", "definition": "No."})
    assert bare.status_code == 403
    terms = (
        await client.get(docs_url(stranger, f"/{mine}/glossary"), headers=stranger.headers)
    ).json()["items"]
    assert "Nope" not in [t["text"]["term"] for t in terms]
