"""Organizations, signup, members and roles, teams."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import Settings
from signoff.core.db import Database
from tests.support.fixtures import assert_problem
from tests.support.identity import PASSWORD, Actor, join, sign_in, sign_up, unique


async def test_signup_creates_a_user_owning_a_new_org(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    me = (await client.get("/v1/me", headers=owner.headers)).json()
    assert me["kind"] == "user"
    assert me["user"]["email"] == owner.email
    assert me["orgs"] == [{"slug": owner.orgs[0], "name": f"Org {owner.orgs[0]}", "role": "owner"}]


async def test_signup_normalizes_and_deduplicates_email(client: httpx.AsyncClient) -> None:
    name = unique("dup")
    body = {"password": PASSWORD, "name": "D", "org_name": "O", "org_slug": unique("o")}
    first = await client.post(
        "/v1/auth/signup", json=body | {"email": f" {name.upper()}@Example.COM "}
    )
    assert first.status_code == 202
    token = (await sign_in(client, f"{name}@example.com"))["access_token"]
    me = (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["user"]["email"] == f"{name}@example.com"
    # The owner signing up again (the right password): a second organization, same account.
    again = await client.post(
        "/v1/auth/signup", json=body | {"email": f"{name}@example.com", "org_slug": unique("o")}
    )
    assert again.status_code == 202
    me = (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert len(me["orgs"]) == 2


async def test_signup_does_not_reveal_existing_accounts(client: httpx.AsyncClient) -> None:
    """Issue 17, item 9: signup used to answer 409 email_taken for an existing account."""
    taken = await sign_up(client)
    answers = []
    for email in (taken.email, f"{unique('fresh')}@example.com"):
        answers.append(
            await client.post(
                "/v1/auth/signup",
                json={
                    "email": email,
                    "password": "another long passphrase here",
                    "name": "Someone",
                    "org_name": "O",
                    "org_slug": unique("o"),
                },
            )
        )
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert set(answers[0].headers) == set(answers[1].headers) - {"x-request-id"} | {"x-request-id"}
    # Nothing was given to whoever typed someone else's email: the owner's password stands.
    refused = await client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "username": taken.email,
            "password": "another long passphrase here",
        },
    )
    assert_problem(refused, 400, "invalid_grant")
    me = (await client.get("/v1/me", headers=taken.headers)).json()
    assert len(me["orgs"]) == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "at least 12"), ("password1234", "most common"), ("aaaaaaaaaaaaaa", "most common")],
)
async def test_weak_passwords_are_refused(
    client: httpx.AsyncClient, password: str, reason: str
) -> None:
    response = await client.post(
        "/v1/auth/signup",
        json={
            "email": f"{unique('w')}@example.com",
            "password": password,
            "name": "W",
            "org_name": "O",
            "org_slug": unique("o"),
        },
    )
    body = assert_problem(response, 422, "weak_password")
    assert reason in str(body["detail"])
    assert body["errors"][0]["pointer"] == "/password"  # type: ignore[index]


async def test_password_containing_the_email_is_refused(client: httpx.AsyncClient) -> None:
    name = unique("mallory")
    response = await client.post(
        "/v1/auth/signup",
        json={
            "email": f"{name}@example.com",
            "password": f"{name}-is-great",
            "name": "M",
            "org_name": "O",
            "org_slug": unique("o"),
        },
    )
    assert_problem(response, 422, "weak_password")


async def test_signup_closed(settings: Settings, db: Database) -> None:
    closed = settings.model_copy(update={"signup": "closed"})
    app = create_app(closed, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(
            "/v1/auth/signup",
            json={
                "email": "x@example.com",
                "password": PASSWORD,
                "name": "X",
                "org_name": "O",
                "org_slug": "o",
            },
        )
    assert_problem(response, 403, "signup_closed")


async def test_slug_is_unique(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    response = await client.post(
        "/v1/orgs", json={"name": "Again", "slug": owner.orgs[0]}, headers=owner.headers
    )
    assert_problem(response, 409, "slug_taken")


async def test_create_and_rename_org_with_if_match(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    slug = unique("new")
    created = await client.post(
        "/v1/orgs", json={"name": "New", "slug": slug}, headers=owner.headers
    )
    assert created.status_code == 201
    assert created.headers["location"] == f"/v1/orgs/{slug}"
    etag = (await client.get(f"/v1/orgs/{slug}", headers=owner.headers)).headers["etag"]
    no_precondition = await client.patch(
        f"/v1/orgs/{slug}", json={"name": "X"}, headers=owner.headers
    )
    assert_problem(no_precondition, 428, "precondition_required")
    renamed = await client.patch(
        f"/v1/orgs/{slug}", json={"name": "Renamed"}, headers=owner.headers | {"If-Match": etag}
    )
    assert renamed.json()["name"] == "Renamed"
    stale = await client.patch(
        f"/v1/orgs/{slug}", json={"name": "Lost"}, headers=owner.headers | {"If-Match": etag}
    )
    assert_problem(stale, 412, "precondition_failed")
    listed = (await client.get("/v1/orgs", headers=owner.headers)).json()["items"]
    assert {o["slug"]: o["role"] for o in listed} == {owner.orgs[0]: "owner", slug: "owner"}


async def test_roles_and_member_management(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    admin = await join(client, owner, org, "admin")
    member = await join(client, owner, org, "member")
    members = (await client.get(f"/v1/orgs/{org}/members", headers=member.headers)).json()
    assert {m["email"]: m["role"] for m in members["items"]} == {
        owner.email: "owner",
        admin.email: "admin",
        member.email: "member",
    }
    # An admin may promote to admin but not to owner, and may not touch an owner.
    url = f"/v1/orgs/{org}/members/{member.user_id}"
    etag = (await client.get(url, headers=admin.headers)).headers["etag"]
    to_owner = await client.patch(
        url, json={"role": "owner"}, headers=admin.headers | {"If-Match": etag}
    )
    assert_problem(to_owner, 403, "insufficient_role")
    to_admin = await client.patch(
        url, json={"role": "admin"}, headers=admin.headers | {"If-Match": etag}
    )
    assert to_admin.json()["role"] == "admin"
    owner_url = f"/v1/orgs/{org}/members/{owner.user_id}"
    owner_etag = (await client.get(owner_url, headers=admin.headers)).headers["etag"]
    demote_owner = await client.patch(
        owner_url, json={"role": "viewer"}, headers=admin.headers | {"If-Match": owner_etag}
    )
    assert_problem(demote_owner, 403, "insufficient_role")
    assert_problem(await client.delete(owner_url, headers=admin.headers), 403, "insufficient_role")
    # A member cannot manage members at all.
    viewer = await join(client, owner, org, "viewer")
    response = await client.post(
        f"/v1/orgs/{org}/members", json={"email": viewer.email}, headers=viewer.headers
    )
    assert_problem(response, 403, "insufficient_role")


async def test_last_owner_cannot_leave_or_be_demoted(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    url = f"/v1/orgs/{org}/members/{owner.user_id}"
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    demote = await client.patch(
        url, json={"role": "admin"}, headers=owner.headers | {"If-Match": etag}
    )
    assert_problem(demote, 409, "last_owner")
    assert_problem(await client.delete(url, headers=owner.headers), 409, "last_owner")
    second = await join(client, owner, org, "owner")
    assert (await client.delete(url, headers=owner.headers)).status_code == 204  # now allowed
    me = (await client.get("/v1/me", headers=owner.headers)).json()
    assert me["orgs"] == []
    assert (await client.get(f"/v1/orgs/{org}", headers=second.headers)).status_code == 200


async def test_anyone_may_leave(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    viewer = await join(client, owner, owner.orgs[0], "viewer")
    url = f"/v1/orgs/{owner.orgs[0]}/members/{viewer.user_id}"
    assert (await client.delete(url, headers=viewer.headers)).status_code == 204
    assert_problem(
        await client.get(f"/v1/orgs/{owner.orgs[0]}", headers=viewer.headers), 404, "org_not_found"
    )


async def test_teams(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    outsider = await sign_up(client)
    created = await client.post(
        f"/v1/orgs/{org}/teams",
        json={"slug": "security", "name": "Security"},
        headers=owner.headers,
    )
    assert created.status_code == 201
    assert_problem(
        await client.post(
            f"/v1/orgs/{org}/teams", json={"slug": "security", "name": "S"}, headers=owner.headers
        ),
        409,
        "slug_taken",
    )
    url = f"/v1/orgs/{org}/teams/security/members"
    added = await client.put(f"{url}/{member.user_id}", headers=owner.headers)
    assert added.json()["member_ids"] == [str(member.user_id)]
    again = await client.put(f"{url}/{member.user_id}", headers=owner.headers)
    assert again.json()["member_ids"] == [str(member.user_id)]  # idempotent
    assert_problem(
        await client.put(f"{url}/{outsider.user_id}", headers=owner.headers),
        404,
        "member_not_found",
    )
    assert_problem(
        await client.put(f"{url}/{owner.user_id}", headers=member.headers), 403, "insufficient_role"
    )
    assert (
        await client.delete(f"{url}/{member.user_id}", headers=owner.headers)
    ).status_code == 204
    teams = (await client.get(f"/v1/orgs/{org}/teams", headers=member.headers)).json()["items"]
    assert [(t["slug"], t["member_ids"]) for t in teams] == [("security", [])]


async def test_removing_a_member_removes_them_from_teams(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    await client.post(
        f"/v1/orgs/{org}/teams", json={"slug": "dba", "name": "DBA"}, headers=owner.headers
    )
    await client.put(f"/v1/orgs/{org}/teams/dba/members/{member.user_id}", headers=owner.headers)
    await client.delete(f"/v1/orgs/{org}/members/{member.user_id}", headers=owner.headers)
    team = (await client.get(f"/v1/orgs/{org}/teams/dba", headers=owner.headers)).json()
    assert team["member_ids"] == []


async def test_members_list_paginates(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    for _ in range(3):
        await join(client, owner, owner.orgs[0], "viewer")
    first = (
        await client.get(f"/v1/orgs/{owner.orgs[0]}/members?limit=2", headers=owner.headers)
    ).json()
    assert len(first["items"]) == 2
    rest = await client.get(
        f"/v1/orgs/{owner.orgs[0]}/members",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=owner.headers,
    )
    assert len(rest.json()["items"]) == 2
    assert rest.json()["next_cursor"] is None


def _unused(app: FastAPI, actor: Actor) -> None:  # keeps imports honest for type checkers
    del app, actor
