"""The access cache (core/access_cache.py): a cached credential or role is used without the
database, and a change to it is seen on the very next request, not after the TTL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from signoff.core.access_cache import AccessCache, Versions
from tests.support.fixtures import assert_problem
from tests.support.identity import join, sign_up


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_revoked_api_key_is_refused_on_the_next_request(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    key = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "ci", "scopes": ["documents:read"]},
            headers=owner.headers,
        )
    ).json()
    headers = {"Authorization": f"Bearer {key['secret']}"}
    assert (await client.get(f"/v1/orgs/{org}/documents", headers=headers)).status_code == 200
    with statements(engine) as cached:
        again = await client.get(f"/v1/orgs/{org}/documents", headers=headers)
    assert again.status_code == 200
    # Key, organization and the last-use touch all come from the cache: only the list.
    assert not any("api_key" in s or "FROM organization" in s for s in cached), cached
    revoked = await client.delete(f"/v1/orgs/{org}/api-keys/{key['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    refused = await client.get(f"/v1/orgs/{org}/documents", headers=headers)
    assert_problem(refused, 401, "invalid_token")


async def test_a_removed_member_is_refused_on_the_next_request(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    url = f"/v1/orgs/{org}/documents"
    assert (await client.get(url, headers=member.headers)).status_code == 200
    with statements(engine) as cached:
        assert (await client.get(url, headers=member.headers)).status_code == 200
    assert not any("FROM membership" in s or "FROM organization" in s for s in cached), cached
    removed = await client.delete(f"/v1/orgs/{org}/members/{member.user_id}", headers=owner.headers)
    assert removed.status_code == 204
    assert_problem(await client.get(url, headers=member.headers), 404, "org_not_found")


async def test_a_lowered_role_holds_on_the_next_request(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    create = {"title": "Cached", "template": "backend-server"}
    url = f"/v1/orgs/{org}/documents"
    assert (await client.post(url, json=create, headers=member.headers)).status_code == 201
    current = await client.get(f"/v1/orgs/{org}/members/{member.user_id}", headers=owner.headers)
    lowered = await client.patch(
        f"/v1/orgs/{org}/members/{member.user_id}",
        json={"role": "viewer"},
        headers=owner.headers | {"If-Match": current.headers["etag"]},
    )
    assert lowered.status_code == 200, lowered.text
    refused = await client.post(url, json=create, headers=member.headers)
    assert_problem(refused, 403, "insufficient_role")


def test_versions_are_shared_through_the_file(tmp_path: Any) -> None:
    """Workers of one server map the same file: a bump in one is seen by the others."""
    path = str(tmp_path / "versions")
    one, two = Versions(path), Versions(path)
    cache = AccessCache(60)
    cache.versions = two
    org = uuid.uuid4()
    cache.put("k", "v", cache.stamp(org, None), org_id=org)
    assert cache.get("k") == "v"
    one.bump("org", org)
    assert cache.get("k") is None
