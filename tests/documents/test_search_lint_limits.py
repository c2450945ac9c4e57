"""Search (ranking, snippets, tenant scoping), lint, size limits, templates."""

from __future__ import annotations

import httpx
import pytest

from signoff.app import create_app
from signoff.core.config import DocumentSettings, Settings
from signoff.core.db import Database
from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, sign_up

pytestmark = pytest.mark.requirement("REQ-019", "REQ-020")


async def doc_with(
    client: httpx.AsyncClient, actor: Actor, title: str, section: str, body: str
) -> str:
    created = await client.post(docs_url(actor), json={"title": title}, headers=actor.headers)
    key = created.json()["key"]
    url = docs_url(actor, f"/{key}/sections/{section}")
    etag = (await client.get(url, headers=actor.headers)).headers["etag"]
    response = await client.put(
        url, json={"body": body}, headers=actor.headers | {"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    return str(key)


async def search(client: httpx.AsyncClient, actor: Actor, q: str) -> list[dict[str, object]]:
    response = await client.get(
        f"/v1/orgs/{actor.orgs[0]}/search", params={"q": q}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"items", "next_cursor"}  # the shape of every list
    result: list[dict[str, object]] = page["items"]
    return result


async def test_search_pages_with_a_cursor(client: httpx.AsyncClient, owner: Actor) -> None:
    for n in range(3):
        await doc_with(client, owner, f"Pager {n}", "2.1", "Heliograph relay notes.")
    url = f"/v1/orgs/{owner.orgs[0]}/search"
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(5):
        params = {"q": "heliograph", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(url, params=params, headers=owner.headers)).json()
        seen += [(h["document"]["key"], h["snippet"]) for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    assert all("<mark>Heliograph</mark>" in str(snippet) for _, snippet in seen)
    other = await client.get(
        url, params={"q": "other", "cursor": "bm90.aGVyZQ"}, headers=owner.headers
    )
    assert_problem(other, 400, "invalid_cursor")


async def test_title_matches_rank_above_body_matches(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    in_body = await doc_with(client, owner, "Courier API", "2.1", "Geofencing for delivery vans.")
    in_title = await doc_with(client, owner, "Geofencing service", "2.1", "Polygons.")
    hits = await search(client, owner, "geofencing")
    keys = [h["document"]["key"] for h in hits]  # type: ignore[index]
    assert keys.index(in_title) < keys.index(in_body)
    body_hit = next(h for h in hits if h["document"]["key"] == in_body)  # type: ignore[index]
    assert body_hit["section"]["number"] == "2.1"  # type: ignore[index]
    assert "<mark>Geofencing</mark>" in str(body_hit["snippet"])


async def test_snippets_are_escaped(client: httpx.AsyncClient, owner: Actor) -> None:
    await doc_with(
        client, owner, "Payload", "2.1", "Never <script>alert(1)</script> telemetry here."
    )
    [hit] = [h for h in await search(client, owner, "telemetry") if h["section"]]
    snippet = str(hit["snippet"])
    assert "<script" not in snippet
    assert "alert(1)" in snippet  # kept as text (SQLite escapes the tag, PostgreSQL drops it)
    assert "<mark>telemetry</mark>" in snippet


async def test_search_is_scoped_to_the_organization(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await doc_with(client, owner, "Secret launch plan", "2.1", "Moonshot details.")
    stranger = await sign_up(client)
    assert await search(client, stranger, "moonshot") == []
    assert len(await search(client, owner, "moonshot")) == 1


async def test_edits_archives_and_odd_queries(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await doc_with(client, owner, "Ledger", "2.1", "Original wording.")
    url = docs_url(owner, f"/{key}/sections/2.1")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    await client.put(
        url, json={"body": "Replacement phrasing."}, headers=owner.headers | {"If-Match": etag}
    )
    assert await search(client, owner, "original") == []
    assert len(await search(client, owner, "replacement")) == 1
    assert len(await search(client, owner, "replace")) == 1  # prefix of the last word
    # A prefix no stemmer would make, on both backends; earlier words must match whole.
    assert len(await search(client, owner, "repla")) == 1
    assert len(await search(client, owner, "replacement phras")) == 1
    assert await search(client, owner, "repla phrasing") == []
    await client.delete(docs_url(owner, f"/{key}"), headers=owner.headers)
    assert await search(client, owner, "replacement") == []
    await client.post(docs_url(owner, f"/{key}/restore"), headers=owner.headers)
    assert len(await search(client, owner, "replacement")) == 1
    for odd in ('"unbalanced', "AND OR NOT", "a:b*c", "(", "NEAR(x y)", "émigré"):
        await search(client, owner, odd)  # never a 500, whatever the syntax


async def test_lint_of_a_stored_document_and_the_policy(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    fresh = await client.post(docs_url(owner), json={"title": "Fresh"}, headers=owner.headers)
    lint = (
        await client.get(docs_url(owner, f"/{fresh.json()['key']}/lint"), headers=owner.headers)
    ).json()
    assert lint["score"] == 0
    assert lint["blocking"] > 0
    assert {f["rule"] for f in lint["findings"]} >= {"guidance-left", "placeholder"}
    filled_doc = (await import_md(client, owner, filled)).json()
    report = (
        await client.get(docs_url(owner, f"/{filled_doc['key']}/lint"), headers=owner.headers)
    ).json()
    assert report["score"] == 100
    assert [f["rule"] for f in report["findings"]] == ["question-overdue"]
    assert report["blocking"] == 0
    url = f"/v1/orgs/{owner.orgs[0]}/lint-policy"
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    put = await client.put(
        url,
        json={"severities": {"question-overdue": "error"}, "blocking_severities": ["error"]},
        headers=owner.headers | {"If-Match": etag},
    )
    assert put.status_code == 200, put.text
    strict = (
        await client.get(docs_url(owner, f"/{filled_doc['key']}/lint"), headers=owner.headers)
    ).json()
    assert strict["blocking"] == 1
    assert strict["findings"][0]["severity"] == "error"
    bad = await client.put(
        url,
        json={"disabled": ["no-such-rule"]},
        headers=owner.headers | {"If-Match": put.headers["etag"]},
    )
    assert_problem(bad, 422, "invalid_lint_policy")


async def test_lint_without_storing(client: httpx.AsyncClient, owner: Actor, filled: str) -> None:
    response = await client.post(
        "/v1/lint",
        content=filled.encode(),
        headers=owner.headers | {"Content-Type": "text/markdown"},
    )
    assert response.status_code == 200
    assert response.json()["score"] == 100
    listed = await client.get(docs_url(owner), headers=owner.headers)
    assert listed.json()["items"] == []
    assert (
        await client.post("/v1/lint", content=b"x", headers={"Content-Type": "text/markdown"})
    ).status_code == 401


@pytest.fixture
def small(settings: Settings, db: Database) -> httpx.AsyncClient:
    limits = DocumentSettings(
        max_document_bytes=20_000, max_section_bytes=4_000, max_sections=30, max_nesting_depth=4
    )
    app = create_app(settings.model_copy(update={"documents": limits}), database=db)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_limits_have_clear_problems(small: httpx.AsyncClient) -> None:
    async with small as client:
        owner = await sign_up(client)
        head = "---\ntitle: Big\n---\n\n"
        cases = [
            (head + "## 1. A\n\n" + "word " * 5000, 413, "document_too_large"),
            (head + "## 1. A\n\n" + "word " * 1000, 413, "document_too_large"),
            (
                head + "".join(f"## {n}. S{n}\n\nx\n\n" for n in range(1, 40)),
                422,
                "invalid_markdown",
            ),
            (
                head + "## 1. A\n\n" + "".join("  " * d + "- x\n" for d in range(10)),
                422,
                "invalid_markdown",
            ),
            ("---\ntitle: [unclosed\n---\n", 422, "invalid_markdown"),
        ]
        for text, status, code in cases:
            response = await import_md(client, owner, text)
            body = assert_problem(response, status, code)
            assert body["errors"][0]["code"]  # type: ignore[index]
        yaml = await import_md(client, owner, "---\ntitle: [unclosed\n---\n")
        assert yaml.json()["errors"][0]["line"] >= 1
        assert (await client.get(docs_url(owner), headers=owner.headers)).json()["items"] == []


async def test_bad_encodings_and_media_types(client: httpx.AsyncClient, owner: Actor) -> None:
    not_utf8 = await client.post(
        docs_url(owner),
        content="title: é".encode("latin-1"),
        headers=owner.headers | {"Content-Type": "text/markdown"},
    )
    assert_problem(not_utf8, 400, "not_utf8")
    xml = await client.post(
        docs_url(owner),
        content=b"<doc/>",
        headers=owner.headers | {"Content-Type": "application/xml"},
    )
    assert_problem(xml, 415, "unsupported_media_type")
    bad_json = await client.post(docs_url(owner), json={"title": ""}, headers=owner.headers)
    problem = assert_problem(bad_json, 422, "validation_failed")
    assert problem["errors"][0]["pointer"] == "/title"  # type: ignore[index]


async def test_markdown_etag_is_good_for_a_push(client: httpx.AsyncClient, owner: Actor) -> None:
    await client.post(docs_url(owner), json={"title": "Push me"}, headers=owner.headers)
    exported = await client.get(docs_url(owner, "/DD-1?format=markdown"), headers=owner.headers)
    pushed = await client.put(
        docs_url(owner, "/DD-1"),
        content=exported.text.replace("Push me", "Pushed").encode(),
        headers=owner.headers
        | {"Content-Type": "text/markdown", "If-Match": exported.headers["etag"]},
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["title"] == "Pushed"


async def test_templates_builtin_and_org(client: httpx.AsyncClient, owner: Actor) -> None:
    builtins = (await client.get("/v1/templates", headers=owner.headers)).json()
    assert [t["ref"] for t in builtins] == ["backend-server@1"]
    tree = (await client.get("/v1/templates/backend-server", headers=owner.headers)).json()
    assert tree["sections"][0]["children"][2]["tables"][0]["columns"] == [
        "Requirement ID",
        "Requirement Summary",
        "Design Section",
    ]
    org = owner.orgs[0]
    small_template = (
        "# Design Document: [Name]\n\n## 1. Summary\n\nSay what it is.\n\n"
        "## 2. Risks\n\n| Risk | Mitigation |\n|---|---|\n| | |\n"
    )
    for _ in range(2):
        reg = await client.post(
            f"/v1/orgs/{org}/templates",
            json={"slug": "tiny", "name": "Tiny", "markdown": small_template},
            headers=owner.headers,
        )
        assert reg.status_code == 201, reg.text
    assert reg.json()["ref"] == "org:tiny@2"
    created = await client.post(
        docs_url(owner), json={"title": "Small", "template": "org:tiny"}, headers=owner.headers
    )
    assert created.json()["template"] == "org:tiny@2"
    assert [s["number"] for s in created.json()["sections"]] == ["1", "2"]
    invalid = await client.post(
        f"/v1/orgs/{org}/templates",
        json={"slug": "bad", "name": "Bad", "markdown": "No headings at all."},
        headers=owner.headers,
    )
    assert_problem(invalid, 422, "invalid_template")
    missing = await client.post(
        docs_url(owner), json={"title": "X", "template": "org:nope"}, headers=owner.headers
    )
    assert_problem(missing, 404, "template_not_found")
