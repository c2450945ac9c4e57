"""Membership by invitation (issue 17, item 9): adding a member invites them, the answer is
the same whether the email has an account or not, and only the invited person, signed in
with that email, can accept."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fixtures import assert_problem
from tests.support.identity import Actor, sign_up

pytestmark = pytest.mark.requirement("REQ-003")


async def invite(
    client: httpx.AsyncClient, owner: Actor, email: str, route: str = "invitations"
) -> httpx.Response:
    return await client.post(
        f"/v1/orgs/{owner.orgs[0]}/{route}",
        json={"email": email, "role": "member"},
        headers=owner.headers,
    )


async def accept(client: httpx.AsyncClient, person: Actor, token: str) -> httpx.Response:
    return await client.post(
        "/v1/invitations/accept", json={"token": token}, headers=person.headers
    )


async def members(client: httpx.AsyncClient, owner: Actor) -> list[str]:
    listed = await client.get(f"/v1/orgs/{owner.orgs[0]}/members", headers=owner.headers)
    return [m["email"] for m in listed.json()["items"]]


async def test_adding_a_member_answers_the_same_for_any_email_and_adds_nobody(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    person = await sign_up(client)
    answers = [
        await invite(client, owner, email, route="members")
        for email in (person.email, "nobody-at-all@example.com")
    ]
    for answer in answers:
        assert answer.status_code == 202, answer.text
        assert set(answer.json()) == {"id", "email", "role", "created_at", "expires_at", "token"}
        assert "user_id" not in answer.text
        assert "name" not in answer.json()
    assert person.email not in await members(client, owner)  # not without their consent


async def test_the_invited_person_joins_when_they_accept(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    person = await sign_up(client)
    token = (await invite(client, owner, person.email.upper())).json()["token"]
    pending = await client.get(f"/v1/orgs/{owner.orgs[0]}/invitations", headers=owner.headers)
    [listed] = pending.json()["items"]
    assert listed["email"] == person.email
    assert listed["token"] is None
    joined = await accept(client, person, token)
    assert joined.status_code == 201, joined.text
    assert joined.json()["org"]["slug"] == owner.orgs[0]
    assert joined.json()["role"] == "member"
    assert person.email in await members(client, owner)
    assert_problem(await accept(client, person, token), 404, "invitation_not_found")
    empty = await client.get(f"/v1/orgs/{owner.orgs[0]}/invitations", headers=owner.headers)
    assert empty.json()["items"] == []


async def test_only_the_invited_email_can_accept(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    person = await sign_up(client)
    other = await sign_up(client)
    token = (await invite(client, owner, person.email)).json()["token"]
    for someone in (other, owner):
        assert_problem(await accept(client, someone, token), 404, "invitation_not_found")
    assert_problem(await accept(client, person, "inv_forged"), 404, "invitation_not_found")
    assert (await accept(client, person, token)).status_code == 201


async def test_a_revoked_invitation_cannot_be_accepted(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    person = await sign_up(client)
    invited = (await invite(client, owner, person.email)).json()
    url = f"/v1/orgs/{owner.orgs[0]}/invitations/{invited['id']}"
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert_problem(await accept(client, person, invited["token"]), 404, "invitation_not_found")
    assert_problem(await client.delete(url, headers=owner.headers), 404, "invitation_not_found")


async def test_an_invitation_cannot_grant_more_than_the_inviter_has(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    admin = await sign_up(client)
    invited = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/invitations",
        json={"email": admin.email, "role": "admin"},
        headers=owner.headers,
    )
    assert (await accept(client, admin, invited.json()["token"])).status_code == 201
    admin.orgs.append(owner.orgs[0])
    refused = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/invitations",
        json={"email": "boss@example.com", "role": "owner"},
        headers=admin.headers,
    )
    assert_problem(refused, 403, "insufficient_role")
