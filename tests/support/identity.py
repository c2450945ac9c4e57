"""Signing people up and in through the real HTTP API, for tests of every domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


@dataclass
class Actor:
    email: str
    user_id: uuid.UUID
    token: str
    refresh_token: str
    password: str = PASSWORD
    orgs: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, scope: str | None = None
) -> dict[str, str]:
    form = {"grant_type": "password", "username": email, "password": password}
    if scope:
        form["scope"] = scope
    response = await client.post("/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def sign_up(client: httpx.AsyncClient, name: str | None = None) -> Actor:
    """A new user owning a new organization."""
    name = name or unique("user")
    slug = unique("org")
    response = await client.post(
        "/v1/auth/signup",
        json={
            "email": f"{name}@example.com",
            "password": PASSWORD,
            "name": name.title(),
            "org_name": f"Org {slug}",
            "org_slug": slug,
        },
    )
    assert response.status_code == 202, response.text
    tokens = await sign_in(client, f"{name}@example.com")
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    return Actor(
        email=f"{name}@example.com",
        user_id=uuid.UUID(me.json()["user"]["id"]),
        token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        orgs=[slug],
    )


async def join(
    client: httpx.AsyncClient, owner: Actor, org: str, role: str, name: str | None = None
) -> Actor:
    """A new user invited to ``org`` with ``role`` by its owner, who accepts."""
    person = await sign_up(client, name)
    await invite_and_accept(client, owner, org, person, role)
    return person


async def invite_and_accept(
    client: httpx.AsyncClient, inviter: Actor, org: str, person: Actor, role: str
) -> None:
    """Membership by invitation: ``inviter`` invites ``person``, who accepts."""
    invited = await client.post(
        f"/v1/orgs/{org}/invitations",
        json={"email": person.email, "role": role},
        headers=inviter.headers,
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(
        "/v1/invitations/accept", json={"token": invited.json()["token"]}, headers=person.headers
    )
    assert accepted.status_code == 201, accepted.text
    person.orgs.append(org)


async def api_key(
    client: httpx.AsyncClient, owner: Actor, org: str, scopes: list[str]
) -> dict[str, Any]:
    """A new API key of ``org`` made by its owner: the answer, secret included, once."""
    created = await client.post(
        f"/v1/orgs/{org}/api-keys", json={"name": "ci", "scopes": scopes}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body
