"""Templates in the styles teams already use, through the API (ADR 0022): an
enhancement-proposal template with unnumbered headings, optional and repeating sections, and
an RFC-style one whose sections are `#` headings and whose documents have no title heading."""

from __future__ import annotations

import httpx
import pytest

from tests.docformat.test_unnumbered import PROPOSAL_DOC as UNBOUND_PROPOSAL
from tests.docformat.test_unnumbered import RFC_DOC
from tests.documents.conftest import FIXTURES, docs_url
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

pytestmark = pytest.mark.requirement("REQ-019", "REQ-020")

# The documents of tests/docformat, on the org's templates: the proposal names its template
# in its front matter; the RFC-style one has none (the import names it).
PROPOSAL_DOC = "---\ntemplate: org:kep\n---\n\n" + UNBOUND_PROPOSAL


async def register(client: httpx.AsyncClient, actor: Actor, slug: str, fixture: str) -> None:
    markdown = (FIXTURES / fixture).read_text("utf-8")
    response = await client.post(
        f"/v1/orgs/{actor.orgs[0]}/templates",
        json={"slug": slug, "name": slug.upper(), "markdown": markdown},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text


async def post_markdown(
    client: httpx.AsyncClient, actor: Actor, text: str, **params: str
) -> httpx.Response:
    return await client.post(
        docs_url(actor),
        content=text.encode(),
        params=params,
        headers=actor.headers | {"Content-Type": "text/markdown"},
    )


async def test_unnumbered_template_registers_and_documents_lint_clean(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await register(client, owner, "kep", "proposal-template.md")
    tree = await client.get(f"/v1/orgs/{owner.orgs[0]}/templates/kep", headers=owner.headers)
    assert tree.status_code == 200
    top = tree.json()["sections"]
    assert [(s["number"], s["title"]) for s in top][:2] == [(None, "Summary"), (None, "Motivation")]
    proposal = next(s for s in top if s["title"] == "Proposal")
    flags = [(c["key"], c["optional"], c["repeats"]) for c in proposal["children"]]
    assert flags == [
        ("/proposal/user-stories", True, False),
        ("/proposal/notes-constraints-caveats", True, False),
        ("/proposal/risks-and-mitigations", False, False),
    ]
    imported = await post_markdown(client, owner, PROPOSAL_DOC)
    assert imported.status_code == 201, imported.text
    doc = imported.json()
    assert doc["template"] == "org:kep@1"
    assert doc["title"] == "KEP-42: Faster widgets"
    bound = {s["title"]: s["template_number"] for s in doc["sections"]}
    assert bound["Goals"] == "/motivation/goals"
    assert bound["Cache"] == bound["Invalidation"] == "/design-details/component-name"
    lint = await client.get(docs_url(owner, f"/{doc['key']}/lint"), headers=owner.headers)
    assert lint.status_code == 200
    # Optional sections (user stories, caveats, alternatives) are absent: no finding.
    assert lint.json()["findings"] == []
    assert lint.json()["score"] == 100
    # A push of the export keeps every section bound to its template section.
    url = docs_url(owner, f"/{doc['key']}")
    exported = await client.get(url, headers=owner.headers | {"Accept": "text/markdown"})
    assert "template=/motivation/goals" in exported.text
    text = exported.text.replace("Faster gadgets.", "")
    pushed = await client.put(
        url,
        content=text.encode(),
        headers=owner.headers
        | {"Content-Type": "text/markdown", "If-Match": exported.headers["etag"]},
    )
    assert pushed.status_code == 200, pushed.text
    lint = await client.get(docs_url(owner, f"/{doc['key']}/lint"), headers=owner.headers)
    assert [(f["rule"], f["section"]) for f in lint.json()["findings"]] == [
        ("empty-section", "/motivation/non-goals")
    ]


async def test_rfc_style_import_takes_the_title_from_the_request(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    await register(client, owner, "rfc", "rfc-template.md")
    untitled = await post_markdown(client, owner, RFC_DOC, template="org:rfc")
    problem = assert_problem(untitled, 422, "invalid_markdown")
    assert [e["code"] for e in problem["errors"]] == ["missing_title"]  # type: ignore[attr-defined]
    created = await post_markdown(client, owner, RFC_DOC, template="org:rfc", title="Widget cache")
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["title"] == "Widget cache"
    assert [s["title"] for s in doc["sections"]][:2] == ["Summary", "Motivation"]
    endpoint = next(s for s in doc["sections"] if s["title"] == "GET /widgets")
    assert endpoint["template_number"] == "/reference-level-explanation/endpoint"
    lint = await client.get(docs_url(owner, f"/{doc['key']}/lint"), headers=owner.headers)
    assert lint.json()["findings"] == []
    missing = await post_markdown(client, owner, RFC_DOC, template="org:nope", title="X")
    assert_problem(missing, 404, "template_not_found")


async def test_ownership_rules_take_heading_paths(client: httpx.AsyncClient, owner: Actor) -> None:
    url = f"/v1/orgs/{owner.orgs[0]}/section-owners"
    current = await client.get(url, headers=owner.headers)
    etag = current.headers["etag"]
    team = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/teams",
        json={"slug": "arch", "name": "Arch"},
        headers=owner.headers,
    )
    assert team.status_code == 201, team.text
    rules = [{"pattern": "/design-details/*", "team": "arch"}]
    saved = await client.put(url, json=rules, headers=owner.headers | {"If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert saved.json() == rules
    bad = await client.put(
        url,
        json=[{"pattern": "/design details", "team": "arch"}],
        headers=owner.headers | {"If-Match": saved.headers["etag"]},
    )
    assert_problem(bad, 422, "invalid_owner_rule")


async def test_a_template_inferred_from_a_document_takes_the_teams_other_documents(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    first = await post_markdown(client, owner, UNBOUND_PROPOSAL)
    assert first.status_code == 201, first.text
    url = f"/v1/orgs/{owner.orgs[0]}/templates"
    inferred = await client.post(
        url,
        json={"slug": "ours", "name": "Ours", "from_document": first.json()["key"]},
        headers=owner.headers,
    )
    assert inferred.status_code == 201, inferred.text
    assert inferred.json()["ref"] == "org:ours@1"
    sections = inferred.json()["sections"]
    assert [s["title"] for s in sections] == ["Summary", "Motivation", "Proposal", "Design Details"]
    risks = sections[2]["children"][0]
    assert risks["tables"] == [{"columns": ["Risk", "Mitigation"]}]
    second = PROPOSAL_DOC.replace("org:kep", "org:ours").replace("Faster widgets", "Gadgets")
    imported = await post_markdown(client, owner, second)
    assert imported.status_code == 201, imported.text
    lint = await client.get(
        docs_url(owner, f"/{imported.json()['key']}/lint"), headers=owner.headers
    )
    assert lint.json()["findings"] == []
    for body in (
        {"slug": "x", "name": "X"},
        {"slug": "x", "name": "X", "markdown": "## A\n", "from_document": "DD-1"},
    ):
        assert_problem(
            await client.post(url, json=body, headers=owner.headers), 422, "validation_failed"
        )
    unknown = {"slug": "x", "name": "X", "from_document": "DD-999"}
    assert_problem(
        await client.post(url, json=unknown, headers=owner.headers), 404, "document_not_found"
    )
