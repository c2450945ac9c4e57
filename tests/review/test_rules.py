"""Every review rule through the HTTP API: ownership, submission, verdicts, stale approvals,
comments, versions, the approval view, expiry and the audit record."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from signoff.core.events import OutboxEvent
from signoff.review.jobs import expire_approvals
from signoff.review.ownership import OwnerRule, matches, owned_sections, valid_pattern
from tests.review.support import (
    Cast,
    approval,
    cast,
    edit_section,
    head,
    import_filled,
    ok,
    put_review_policy,
    set_reviewers,
    verdict,
)
from tests.support.fixtures import assert_problem

pytestmark = pytest.mark.requirement("REQ-013")


@pytest.fixture
async def people(client: httpx.AsyncClient) -> Cast:
    return await cast(client)


async def submitted(client: httpx.AsyncClient, people: Cast, reviewers: bool = True) -> str:
    key = await import_filled(client, people)
    if reviewers:
        await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    return key


def test_section_patterns() -> None:
    assert matches("7.*", "7")
    assert matches("7.*", "7.1")
    assert matches("7.*", "7.1.2")
    assert not matches("7.*", "17.1")
    assert not matches("7.*", "8")
    assert matches("7.2", "7.2")
    assert not matches("7.2", "7.2.1")
    assert matches("*.1", "3.1")
    assert not matches("*.1", "3.1.1")
    assert not matches("*.1", "3")
    assert matches("*", "12.4")
    assert matches("*", None)
    assert not matches("7.*", None)
    assert matches("a.*", "A.1")
    assert all(valid_pattern(p) for p in ("7", "7.*", "*.1", "*", "A.1"))
    assert not any(valid_pattern(p) for p in ("", "7.", ".7", "7..1", "7.**", "§7", "7 .1"))
    owned = owned_sections(
        [OwnerRule("7.*", "security"), OwnerRule("7.2", "dba"), OwnerRule("9", "nobody")],
        [("a", "7", "7"), ("b", "7.2", "7.2"), ("c", "8", "8")],
    )
    assert owned == {"security": ["a", "b"], "dba": ["b"]}  # every match owns


def test_ownership_by_heading_path() -> None:
    """In a template without numbers, rules name heading paths (ADR 0022)."""
    assert all(valid_pattern(p) for p in ("/design", "/design/*", "/a/b-c", "/zürich"))
    assert not any(valid_pattern(p) for p in ("/", "/a/", "/a//b", "/a/**", "/a b", "/*/x"))
    sections = [
        ("s", None, "/summary"),
        ("d", None, "/design-details"),
        ("c1", None, "/design-details/component"),
        ("c2", None, "/design-details/component"),  # a repeating section's instances
        ("x", None, None),  # an extra section matches no path rule
        ("n", "2", "2"),
    ]
    owned = owned_sections(
        [
            OwnerRule("/design-details/*", "arch"),
            OwnerRule("/design-details/component", "svc"),
            OwnerRule("/summary", "pm"),
            OwnerRule("/design", "nobody"),
        ],
        sections,
    )
    assert owned == {"arch": ["d", "c1", "c2"], "svc": ["c1", "c2"], "pm": ["s"]}


async def test_section_owners_policy(client: httpx.AsyncClient, people: Cast) -> None:
    url, admin = people.url("/section-owners"), people.author.headers
    current = await client.get(url, headers=people.viewer.headers)
    assert current.json() == [
        {"pattern": "7.*", "team": "security"},
        {"pattern": "6.*", "team": "dba"},
    ]
    assert_problem(await client.put(url, json=[], headers=admin), 428, "precondition_required")
    etag = current.headers["etag"]
    bad = await client.put(
        url,
        json=[{"pattern": "7.x.**", "team": "security"}, {"pattern": "8", "team": "ghosts"}],
        headers=admin | {"If-Match": etag},
    )
    body = assert_problem(bad, 422, "invalid_owner_rule")
    assert [e["pointer"] for e in body["errors"]] == ["/0/pattern", "/1/team"]  # type: ignore[attr-defined]
    member = await client.put(url, json=[], headers=people.lead.headers | {"If-Match": etag})
    assert_problem(member, 403, "insufficient_role")
    cleared = await client.put(url, json=[], headers=admin | {"If-Match": etag})
    assert cleared.json() == []
    assert cleared.headers["etag"] != etag
    stale = await client.put(url, json=[], headers=admin | {"If-Match": etag})
    assert_problem(stale, 412, "precondition_failed")


async def test_submission_lists_every_reason(client: httpx.AsyncClient, people: Cast) -> None:
    etag = (await client.get(people.url("/section-owners"), headers=people.author.headers)).headers[
        "etag"
    ]
    ok(
        await client.put(
            people.url("/section-owners"),
            json=[],
            headers=people.author.headers | {"If-Match": etag},
        )
    )
    created = ok(
        await client.post(
            people.url("/documents"), json={"title": "Empty"}, headers=people.author.headers
        ),
        201,
    )
    key = created["key"]
    ok(
        await client.post(
            people.doc(key, "/questions"),
            json={
                "question": "Which region?",
                "owner": "Ada",
                "target_date": "2027-01-01",
                "blocking": True,
            },
            headers=people.author.headers,
        ),
        201,
    )
    refused = assert_problem(
        await client.post(people.doc(key, "/submission"), headers=people.author.headers),
        409,
        "submission_refused",
    )
    codes = {e["code"] for e in refused["errors"]}  # type: ignore[attr-defined]
    assert codes == {"lint", "blocking_question", "no_reviewers"}
    lint = [e for e in refused["errors"] if e["code"] == "lint"]  # type: ignore[attr-defined]
    assert all(e["severity"] == "error" and e["rule"] for e in lint)
    assert (await head(client, people, key))["status"] == "draft"


async def test_submit_and_withdraw(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people)
    again = await client.post(people.doc(key, "/submission"), headers=people.author.headers)
    assert_problem(again, 409, "already_in_review")
    markdown = await client.get(people.doc(key, "?format=markdown"), headers=people.author.headers)
    assert "| Status | In Review |" in markdown.text
    assert f"| Reviewers | {people.name(people.lead)} <" in markdown.text
    withdrawn = ok(
        await client.delete(people.doc(key, "/submission"), headers=people.author.headers)
    )
    assert withdrawn["outcome"] == "withdrawn"
    assert (await head(client, people, key))["status"] == "draft"
    assert_problem(
        await client.delete(people.doc(key, "/submission"), headers=people.author.headers),
        409,
        "not_in_review",
    )
    assert_problem(await verdict(client, people, people.lead, key, "approve"), 409, "not_in_review")
    second = ok(
        await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201
    )
    assert second["number"] == 2


async def test_who_may_give_a_verdict(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people)
    assert_problem(
        await verdict(client, people, people.author, key, "approve"), 403, "author_cannot_approve"
    )
    ok(await verdict(client, people, people.author, key, "comment"), 201)  # authors may comment
    assert_problem(
        await verdict(client, people, people.viewer, key, "approve"), 403, "insufficient_role"
    )
    api_key = ok(
        await client.post(
            people.url("/api-keys"),
            json={"name": "bot", "scopes": ["reviews:write", "documents:read"]},
            headers=people.author.headers,
        ),
        201,
    )
    machine = await client.post(
        people.doc(key, "/reviews"),
        json={"verdict": "approve", "revision": (await head(client, people, key))["revision"]},
        headers={"Authorization": f"Bearer {api_key['secret']}"},
    )
    assert_problem(machine, 403, "person_required")
    no_revision = await client.post(
        people.doc(key, "/reviews"), json={"verdict": "approve"}, headers=people.lead.headers
    )
    assert_problem(no_revision, 422, "validation_failed")
    unknown = await verdict(client, people, people.lead, key, "approve", ["7.1", "99.9"])
    body = assert_problem(unknown, 422, "unknown_section")
    assert body["errors"] == [{"pointer": "/sections/1", "detail": "no section '99.9'"}]


async def test_a_verdict_is_about_what_was_read(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people)
    read = (await head(client, people, key))["revision"]
    await edit_section(client, people, key, "7.1", "\nMore.\n")
    stale = await verdict(client, people, people.security, key, "approve", revision=read)
    body = assert_problem(stale, 409, "stale_review")
    assert [e["number"] for e in body["errors"]] == ["7.1"]  # type: ignore[attr-defined]
    # The dba's sections did not change since: approving what they read is fine.
    dba = ok(await verdict(client, people, people.dba, key, "approve", revision=read), 201)
    assert dba["revision"] == read
    whole = await verdict(client, people, people.lead, key, "approve", revision=read)
    assert_problem(whole, 409, "stale_review")
    future = await verdict(client, people, people.lead, key, "approve", revision=read + 5)
    assert_problem(future, 422, "unknown_revision")


async def test_edits_dismiss_exactly_the_approvals_that_covered_them(
    client: httpx.AsyncClient, people: Cast, connection: AsyncConnection
) -> None:
    key = await submitted(client, people)
    sec = ok(await verdict(client, people, people.security, key, "approve"), 201)
    dba = ok(await verdict(client, people, people.dba, key, "approve"), 201)
    narrow = ok(await verdict(client, people, people.lead, key, "approve", ["2.1"]), 201)
    assert not narrow["whole_document"]
    assert [s["number"] for s in narrow["sections"]] == ["2.1"]
    before = await head(client, people, key)
    await set_reviewers(
        client,
        people,
        key,
        [{"user_id": str(people.lead.user_id)}, {"team": "security"}],
    )  # Document Control only: a revision that dismisses nothing
    after_control = await approval(client, people, key)
    assert len(after_control["approvals"]) == 3
    assert after_control["dismissed"] == []
    assert (await head(client, people, key))["revision"] == before["revision"] + 1
    await edit_section(client, people, key, "7.2", "\nRoles are checked per request.\n")
    view = await approval(client, people, key)
    assert [d["id"] for d in view["dismissed"]] == [sec["id"]]
    assert "§7.2 changed" in view["dismissed"][0]["dismissed_reason"]
    assert view["dismissed"][0]["dismissed_by_revision"] == before["revision"] + 2
    assert {a["review_id"] for a in view["approvals"]} == {dba["id"], narrow["id"]}
    async with AsyncSession(connection) as session:
        events = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "approvals.dismissed")
            )
        ).all()
        mine = [e for e in events if e.data["key"] == key and e.data["review_id"] == sec["id"]]
    assert len(mine) == 1
    assert mine[0].data["reviewer"] == people.name(people.security)
    assert "+Roles are checked per request." in mine[0].data["changes"][0]["diff"]


async def test_change_requests_hold_until_the_reviewer_changes_their_verdict(
    client: httpx.AsyncClient, people: Cast
) -> None:
    key = await submitted(client, people)
    ok(await verdict(client, people, people.lead, key, "request_changes"), 201)
    for who in (people.security, people.dba):
        ok(await verdict(client, people, who, key, "approve"), 201)
    view = await approval(client, people, key)
    assert {m["code"] for m in view["missing"]} == {
        "changes_requested",
        "reviewer_approval_missing",
    }
    ok(await verdict(client, people, people.lead, key, "comment"), 201)  # no change of verdict
    assert (await head(client, people, key))["status"] == "in_review"
    done = ok(await verdict(client, people, people.lead, key, "approve"), 201)
    assert done["document_status"] == "approved"


async def test_blocking_threads_and_outdated_anchors(
    client: httpx.AsyncClient, people: Cast
) -> None:
    key = await submitted(client, people)
    section = ok(await client.get(people.doc(key, "/sections/7.1"), headers=people.lead.headers))
    quote = section["body"].strip().splitlines()[0][:40]
    url = people.doc(key, "/comments")
    thread = ok(
        await client.post(
            url,
            json={"section": "7.1", "body": "Is this safe?", "quote": quote, "blocking": True},
            headers=people.lead.headers,
        ),
        201,
    )
    assert thread["section"]["number"] == "7.1"
    assert not thread["outdated"]
    missing_quote = await client.post(
        url, json={"section": "7.1", "body": "x", "quote": "not there"}, headers=people.lead.headers
    )
    assert_problem(missing_quote, 422, "quote_not_found")
    assert_problem(
        await client.post(url, json={"section": "42", "body": "x"}, headers=people.lead.headers),
        422,
        "unknown_section",
    )
    assert_problem(
        await client.post(url, json={"section": "7.1", "body": "x"}, headers=people.viewer.headers),
        403,
        "insufficient_role",
    )
    reply = ok(
        await client.post(
            f"{url}/{thread['id']}/replies", json={"body": "Yes."}, headers=people.author.headers
        ),
        201,
    )
    assert [r["author"]["name"] for r in reply["replies"]] == [people.name(people.author)]
    for who in (people.security, people.dba, people.lead):
        ok(await verdict(client, people, who, key, "approve"), 201)
    view = await approval(client, people, key)
    assert [m["code"] for m in view["missing"]] == ["blocking_thread_open"]
    assert (await head(client, people, key))["status"] == "in_review"
    # Only the thread's author, the document's authors or admins resolve it.
    assert_problem(
        await client.patch(
            f"{url}/{thread['id']}", json={"resolved": True}, headers=people.dba.headers
        ),
        403,
        "not_thread_moderator",
    )
    resolved = ok(
        await client.patch(
            f"{url}/{thread['id']}", json={"resolved": True}, headers=people.author.headers
        )
    )
    assert resolved["resolved"]
    assert resolved["resolved_by"] == people.name(people.author)
    assert (await head(client, people, key))["status"] == "approved"
    # After approval, an edit of the quoted passage makes the thread outdated; it stays on §7.1.
    edited = section["body"].replace(quote, "Rewritten.", 1)
    current = await client.get(people.doc(key, "/sections/7.1"), headers=people.author.headers)
    ok(
        await client.put(
            people.doc(key, "/sections/7.1"),
            json={"body": edited},
            headers=people.author.headers | {"If-Match": current.headers["etag"]},
        )
    )
    again = ok(await client.get(f"{url}/{thread['id']}", headers=people.lead.headers))
    assert again["outdated"]
    assert again["section"]["id"] == thread["section"]["id"]
    listed = ok(await client.get(url, params={"section": "7.1"}, headers=people.lead.headers))
    assert [t["id"] for t in listed["items"]] == [thread["id"]]
    open_only = ok(await client.get(url, params={"resolved": "false"}, headers=people.lead.headers))
    assert open_only["items"] == []


async def test_blocking_questions_hold_approval(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people)
    added = ok(
        await client.post(
            people.doc(key, "/questions"),
            json={
                "question": "Retention?",
                "owner": "Ada",
                "target_date": "2027-02-01",
                "blocking": True,
            },
            headers=people.author.headers,
        ),
        201,
    )
    for who in (people.security, people.dba, people.lead):
        ok(await verdict(client, people, who, key, "approve"), 201)
    view = await approval(client, people, key)
    assert [m["code"] for m in view["missing"]] == ["blocking_question_open"]
    item = people.doc(key, f"/questions/{added['id']}")
    etag = (await client.get(item, headers=people.author.headers)).headers["etag"]
    ok(
        await client.patch(
            item,
            json={"status": "resolved", "resolution": "13 months"},
            headers=people.author.headers | {"If-Match": etag},
        )
    )
    # Resolving it edits §16.2, which the lead's whole-document approval covered.
    view = await approval(client, people, key)
    assert [m["code"] for m in view["missing"]] == ["reviewer_approval_missing"]
    done = ok(await verdict(client, people, people.lead, key, "approve"), 201)
    assert done["document_version"] == "1.0"


async def test_versions_and_document_control(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people)
    start = await head(client, people, key)
    assert start["version"] == f"0.{start['revision']}"
    for who in (people.security, people.dba, people.lead):
        last = ok(await verdict(client, people, who, key, "approve"), 201)
    assert last["document_version"] == "1.0"
    approved = await head(client, people, key)
    assert approved["revision"] == start["revision"] + 1
    assert approved["document_control"]["status"] == "approved"
    assert [s["content_hash"] for s in approved["sections"]] == [
        s["content_hash"] for s in start["sections"]
    ]
    assert_problem(
        await client.post(people.doc(key, "/submission"), headers=people.author.headers),
        409,
        "already_approved",
    )
    exported = (
        await client.get(people.doc(key, "?format=markdown"), headers=people.author.headers)
    ).text
    assert "| Version | 1.0 |" in exported
    assert "| Status | Approved |" in exported
    # A push that types a status or a version is told they are derived.
    typed = re.sub(r"(?m)^status: .*$", "status: Final", exported, count=1)
    typed = re.sub(r"(?m)^version: .*$", "version: '9.9'", typed, count=1)
    etag = (await client.get(people.doc(key), headers=people.author.headers)).headers["etag"]
    pushed = ok(
        await client.put(
            people.doc(key),
            content=typed.encode(),
            headers=people.author.headers | {"Content-Type": "text/markdown", "If-Match": etag},
        )
    )
    assert any("'status' is derived" in w for w in pushed["warnings"]), pushed["warnings"]
    assert any("'version' is derived" in w for w in pushed["warnings"])
    assert (pushed["status"], pushed["version"]) == ("approved", "1.0")  # nothing changed
    await edit_section(client, people, key, "3.1", "\nOne more sentence.\n")
    draft = await head(client, people, key)
    assert (draft["status"], draft["version"]) == ("draft", "1.1")
    await edit_section(client, people, key, "3.1", "\nAnd another.\n")
    assert (await head(client, people, key))["version"] == "1.2"
    old = ok(await client.get(people.doc(key, "?version=1.0"), headers=people.author.headers))
    assert old["status"] == "approved"
    assert old["revision"] == approved["revision"]
    listing = ok(
        await client.get(people.url("/documents?status=draft"), headers=people.author.headers)
    )
    assert key in [d["key"] for d in listing["items"]]


async def test_required_approvals(client: httpx.AsyncClient, people: Cast) -> None:
    key = await submitted(client, people, reviewers=False)
    url = people.doc(key, "/review-policy")
    policy = await client.get(url, headers=people.author.headers)
    assert policy.json() == {"required_approvals": None, "effective_required_approvals": 1}
    ok(
        await client.put(
            url,
            json={"required_approvals": 3},
            headers=people.author.headers | {"If-Match": policy.headers["etag"]},
        )
    )
    for who in (people.security, people.dba):
        ok(await verdict(client, people, who, key, "approve"), 201)
    view = await approval(client, people, key)
    assert [m["data"] for m in view["missing"]] == [{"have": 2, "required": 3}]
    lowered = await client.get(url, headers=people.author.headers)
    done = ok(
        await client.put(
            url,
            json={"required_approvals": None},
            headers=people.author.headers | {"If-Match": lowered.headers["etag"]},
        )
    )
    assert done["effective_required_approvals"] == 1
    assert (await head(client, people, key))["status"] == "approved"  # met at once


async def test_org_policy_and_expiry(
    client: httpx.AsyncClient, people: Cast, connection: AsyncConnection
) -> None:
    policy = {"required_approvals": 1, "approval_expiry_days": 30}
    before = await put_review_policy(client, people, policy)
    assert before == {"required_approvals": 1, "approval_expiry_days": None}
    key = await submitted(client, people)
    for who in (people.security, people.dba, people.lead):
        ok(await verdict(client, people, who, key, "approve"), 201)
    approved_at = datetime.fromisoformat((await head(client, people, key))["approved_at"])
    async with AsyncSession(connection) as session:
        assert await expire_approvals(session, approved_at + timedelta(days=29)) == 0
        assert await expire_approvals(session, approved_at + timedelta(days=31)) >= 1
        assert await expire_approvals(session, approved_at + timedelta(days=32)) == 0  # once
        events = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "approvals.expired")
            )
        ).all()
        assert [e.data["version"] for e in events if e.data["key"] == key] == ["1.0"]
    lint = ok(await client.get(people.doc(key, "/lint"), headers=people.author.headers))
    assert "approval-expired" in {f["rule"] for f in lint["findings"]}
    await edit_section(client, people, key, "2.1", "\nx\n")  # a new draft: review again anyway
    lint = ok(await client.get(people.doc(key, "/lint"), headers=people.author.headers))
    assert "approval-expired" not in {f["rule"] for f in lint["findings"]}


async def test_the_audit_log_proves_what_was_signed(
    client: httpx.AsyncClient, people: Cast
) -> None:
    key = await submitted(client, people)
    reviewed = await head(client, people, key)
    for who in (people.security, people.dba, people.lead):
        ok(await verdict(client, people, who, key, "approve"), 201)
    events = ok(
        await client.get(
            people.url("/audit-events"),
            params={"type": "documents.approved"},
            headers=people.author.headers,
        )
    )["items"]
    [entry] = [e for e in events if e["data"]["key"] == key]
    hashes = {s["id"]: s["content_hash"] for s in reviewed["sections"]}
    signed: list[dict[str, Any]] = entry["data"]["approvals"]
    assert {a["reviewer"] for a in signed} == people.names(people.security, people.dba, people.lead)
    for a in signed:
        assert all(hashes[s["section_id"]] == s["hash"] for s in a["sections"])
    assert entry["data"]["version"] == "1.0"
    verified = ok(
        await client.get(people.url("/audit-events/verify"), headers=people.author.headers)
    )
    assert verified["valid"] is True
