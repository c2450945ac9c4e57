"""A realistic review cast, and the walk through a review that the e2e tests run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.identity import Actor, join, sign_up, unique

FILLED = Path(__file__).resolve().parents[1] / "docformat" / "fixtures" / "filled-document.md"


@dataclass
class Cast:
    org: str
    author: Actor  # the org's owner, who writes the document
    security: Actor  # in team `security`, which owns §7
    dba: Actor  # in team `dba`, which owns §6
    lead: Actor  # a member the document asks to review it
    viewer: Actor

    @staticmethod
    def name(actor: Actor) -> str:
        """The display name sign-up gave them."""
        return actor.email.split("@")[0].title()

    def names(self, *actors: Actor) -> set[str]:
        return {self.name(a) for a in actors}

    def url(self, suffix: str = "") -> str:
        return f"/v1/orgs/{self.org}{suffix}"

    def doc(self, key: str, suffix: str = "") -> str:
        return self.url(f"/documents/{key}{suffix}")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, response.url, response.text)
    return response.json() if response.content else None


async def cast(client: httpx.AsyncClient) -> Cast:
    author = await sign_up(client, unique("ada"))
    org = author.orgs[0]
    members = {
        role_name: await join(client, author, org, "member", unique(role_name))
        for role_name in ("sam", "dee", "lee")
    }
    viewer = await join(client, author, org, "viewer", unique("vic"))
    for team, person in (("security", members["sam"]), ("dba", members["dee"])):
        ok(
            await client.post(
                f"/v1/orgs/{org}/teams", json={"slug": team, "name": team}, headers=author.headers
            ),
            201,
        )
        ok(
            await client.put(
                f"/v1/orgs/{org}/teams/{team}/members/{person.user_id}", headers=author.headers
            )
        )
    people = Cast(org, author, members["sam"], members["dee"], members["lee"], viewer)
    etag = (await client.get(people.url("/section-owners"), headers=author.headers)).headers["etag"]
    ok(
        await client.put(
            people.url("/section-owners"),
            json=[{"pattern": "7.*", "team": "security"}, {"pattern": "6.*", "team": "dba"}],
            headers=author.headers | {"If-Match": etag},
        )
    )
    return people


async def import_filled(client: httpx.AsyncClient, people: Cast) -> str:
    created = ok(
        await client.post(
            people.url("/documents"),
            content=FILLED.read_bytes(),
            headers=people.author.headers | {"Content-Type": "text/markdown"},
        ),
        201,
    )
    return str(created["key"])


async def head(client: httpx.AsyncClient, people: Cast, key: str) -> dict[str, Any]:
    body: dict[str, Any] = ok(await client.get(people.doc(key), headers=people.author.headers))
    return body


async def verdict(
    client: httpx.AsyncClient,
    people: Cast,
    who: Actor,
    key: str,
    verdict: str,
    sections: list[str] | None = None,
    revision: int | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"verdict": verdict}
    if sections is not None:
        body["sections"] = sections
    body["revision"] = revision or (await head(client, people, key))["revision"]
    return await client.post(people.doc(key, "/reviews"), json=body, headers=who.headers)


async def edit_section(
    client: httpx.AsyncClient, people: Cast, key: str, number: str, append: str
) -> dict[str, Any]:
    url = people.doc(key, f"/sections/{number}")
    current = await client.get(url, headers=people.author.headers)
    body = ok(current)["body"] + append
    edited: dict[str, Any] = ok(
        await client.put(
            url,
            json={"body": body},
            headers=people.author.headers | {"If-Match": current.headers["etag"]},
        )
    )
    return edited


async def approval(client: httpx.AsyncClient, people: Cast, key: str) -> dict[str, Any]:
    body: dict[str, Any] = ok(
        await client.get(people.doc(key, "/approval"), headers=people.author.headers)
    )
    return body


async def put_review_policy(
    client: httpx.AsyncClient, people: Cast, policy: dict[str, Any]
) -> dict[str, Any]:
    """Replace the organization's review policy; returns it as it was before."""
    url = people.url("/review-policy")
    current = await client.get(url, headers=people.author.headers)
    headers = people.author.headers | {"If-Match": current.headers["etag"]}
    ok(await client.put(url, json=policy, headers=headers))
    before: dict[str, Any] = current.json()
    return before


async def set_reviewers(
    client: httpx.AsyncClient, people: Cast, key: str, reviewers: list[dict[str, str]]
) -> dict[str, Any]:
    etag = (await client.get(people.doc(key), headers=people.author.headers)).headers["etag"]
    body: dict[str, Any] = ok(
        await client.patch(
            people.doc(key),
            json={"reviewers": reviewers},
            headers=people.author.headers | {"If-Match": etag},
        )
    )
    return body


async def walk_a_review(client: httpx.AsyncClient) -> dict[str, Any]:
    """Create, fill, submit, request changes on §7, edit §7 (only the security approval is
    dismissed), approve: 1.0; edit: 1.1; approve: 2.0. Returns what the test checks."""
    people = await cast(client)
    key = await import_filled(client, people)
    await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
    round1 = ok(
        await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201
    )
    assert round1["outcome"] == "open"
    assert (await head(client, people, key))["status"] == "in_review"

    dba = ok(await verdict(client, people, people.dba, key, "approve"), 201)
    assert {s["number"][:1] for s in dba["sections"]} == {"6"}
    assert not dba["whole_document"]
    sec = ok(await verdict(client, people, people.security, key, "approve"), 201)
    assert {s["number"][:1] for s in sec["sections"]} == {"7"}
    ok(await verdict(client, people, people.lead, key, "request_changes", ["7.1"]), 201)
    missing = {m["code"] for m in (await approval(client, people, key))["missing"]}
    assert missing == {"changes_requested", "reviewer_approval_missing"}

    await edit_section(client, people, key, "7.1", "\nTokens are bound to the client (DPoP).\n")
    after_edit = await approval(client, people, key)
    assert [d["id"] for d in after_edit["dismissed"]] == [sec["id"]]
    assert [a["review_id"] for a in after_edit["approvals"]] == [dba["id"]]
    assert {m["code"] for m in after_edit["missing"]} == {
        "changes_requested",
        "reviewer_approval_missing",
        "team_approval_missing",
    }

    ok(await verdict(client, people, people.security, key, "approve"), 201)
    final = ok(await verdict(client, people, people.lead, key, "approve"), 201)
    assert (final["document_status"], final["document_version"]) == ("approved", "1.0")
    approved = await head(client, people, key)
    v1 = await client.get(
        people.doc(key, "?version=1.0&format=markdown"), headers=people.author.headers
    )
    await edit_section(client, people, key, "2.1", "\nMerchants may also poll.\n")
    draft = await head(client, people, key)
    assert (draft["status"], draft["version"], draft["approved_version"]) == ("draft", "1.1", "1.0")
    v1_again = await client.get(
        people.doc(key, "?version=1.0&format=markdown"), headers=people.author.headers
    )
    assert v1_again.text == v1.text
    assert "| Status | Approved |" in v1.text

    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    for who in (people.dba, people.security):
        ok(await verdict(client, people, who, key, "approve"), 201)
    last = ok(await verdict(client, people, people.lead, key, "approve"), 201)
    assert (last["document_status"], last["document_version"]) == ("approved", "2.0")
    return {
        "people": people,
        "key": key,
        "approved": approved,
        "final": await approval(client, people, key),
    }
