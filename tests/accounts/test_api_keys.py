"""API keys: shown once, usable as Bearer tokens, scoped, revocable, expiring."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.accounts.models import ApiKey
from signoff.core.access_cache import CREDENTIALS
from signoff.core.services import Services
from tests.support.fixtures import assert_problem
from tests.support.identity import api_key, sign_up


async def test_create_use_list_and_revoke(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    key = await api_key(client, owner, org, ["documents:read"])
    assert key["secret"].startswith(key["prefix"] + "_")
    assert key["last_used_at"] is None
    headers = {"Authorization": f"Bearer {key['secret']}"}
    me = (await client.get("/v1/me", headers=headers)).json()
    assert me["kind"] == "api_key"
    assert me["scopes"] == ["documents:read"]
    listed = (await client.get(f"/v1/orgs/{org}/api-keys", headers=owner.headers)).json()["items"]
    assert [k["prefix"] for k in listed] == [key["prefix"]]
    assert "secret" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert (
        await client.delete(f"/v1/orgs/{org}/api-keys/{key['id']}", headers=owner.headers)
    ).status_code == 204
    assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid_token")
    again = await client.delete(f"/v1/orgs/{org}/api-keys/{key['id']}", headers=owner.headers)
    assert_problem(again, 404, "credential_not_found")


async def test_scopes_are_enforced(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    reader = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "r", "scopes": ["documents:read"]},
            headers=owner.headers,
        )
    ).json()
    headers = {"Authorization": f"Bearer {reader['secret']}"}
    assert (await client.get(f"/v1/orgs/{org}/members", headers=headers)).status_code == 200
    response = await client.post(
        f"/v1/orgs/{org}/teams", json={"slug": "t", "name": "T"}, headers=headers
    )
    # The key lacks the scope: that is what it is told (design §7.2), naming the scope.
    body = assert_problem(response, 403, "insufficient_scope")
    assert "the 'admin' scope" in str(body["detail"])
    admin = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "a", "scopes": ["admin"]},
            headers=owner.headers,
        )
    ).json()
    admin_headers = {"Authorization": f"Bearer {admin['secret']}"}
    assert (
        await client.post(
            f"/v1/orgs/{org}/teams", json={"slug": "t", "name": "T"}, headers=admin_headers
        )
    ).status_code == 201
    # Keys never act as owners: renaming the organization stays with people.
    etag = (await client.get(f"/v1/orgs/{org}", headers=admin_headers)).headers["etag"]
    rename = await client.patch(
        f"/v1/orgs/{org}", json={"name": "X"}, headers=admin_headers | {"If-Match": etag}
    )
    assert_problem(rename, 403, "insufficient_role")


async def test_narrow_user_token_is_held_to_its_scope(client: httpx.AsyncClient) -> None:
    from tests.support.identity import sign_in

    owner = await sign_up(client)
    narrow = await sign_in(client, owner.email, scope="documents:read")
    response = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/teams",
        json={"slug": "t", "name": "T"},
        headers={"Authorization": f"Bearer {narrow['access_token']}"},
    )
    assert_problem(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_expired_and_forged_keys_are_refused(
    client: httpx.AsyncClient, connection: AsyncConnection, app: FastAPI
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    expired = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "old", "scopes": ["documents:read"], "expires_at": soon},
            headers=owner.headers,
        )
    ).json()
    bearer = {"Authorization": f"Bearer {expired['secret']}"}
    assert (await client.get("/v1/me", headers=bearer)).status_code == 200
    # A minute later, as far as the key is concerned.
    await connection.execute(
        update(ApiKey)
        .where(ApiKey.id == uuid.UUID(expired["id"]))
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    # The row was changed behind the server's back, as no request changes a credential: say
    # so to the access cache, as an event committing would (core/access_cache.py).
    Services.of(app).access_cache.bump(CREDENTIALS, None)
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {expired['secret']}"}),
        401,
        "invalid_token",
    )
    forged = expired["prefix"] + "_" + "A" * 43
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}),
        401,
        "invalid_token",
    )
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": "Bearer so_nope_x"}),
        401,
        "invalid_token",
    )


async def test_a_refused_token_says_what_it_was_taken_for(client: httpx.AsyncClient) -> None:
    # SIGNOFF_TOKEN holds an API key or an access token: the refusal says which it was read as.
    key = await client.get("/v1/me", headers={"Authorization": "Bearer so_abcdefgh_x"})
    assert "taken for an API key" in str(assert_problem(key, 401, "invalid_token")["detail"])
    other = await client.get("/v1/me", headers={"Authorization": "Bearer bogus"})
    detail = str(assert_problem(other, 401, "invalid_token")["detail"])
    assert "taken for an access token (a JWT)" in detail
    assert "'so_'" in detail


async def test_an_expiry_must_be_a_future_instant(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    url = f"/v1/orgs/{owner.orgs[0]}/api-keys"
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for expires_at, code in [
        (past, "invalid_expiry"),
        ("2030-01-01T00:00:00", "validation_failed"),  # no offset: no instant (was a 500)
        ("2030-01-01", "validation_failed"),
    ]:
        response = await client.post(
            url,
            json={"name": "x", "scopes": ["documents:read"], "expires_at": expires_at},
            headers=owner.headers,
        )
        assert_problem(response, 422, code)
        errors = response.json()["errors"]
        assert [e["pointer"] for e in errors] == ["/expires_at"], errors


async def test_unknown_scope_is_refused(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    response = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/api-keys",
        json={"name": "x", "scopes": ["root"]},
        headers=owner.headers,
    )
    assert_problem(response, 422, "validation_failed")


async def test_a_key_only_works_in_its_own_org(client: httpx.AsyncClient) -> None:
    alice = await sign_up(client)
    bob = await sign_up(client)
    key = (
        await client.post(
            f"/v1/orgs/{alice.orgs[0]}/api-keys",
            json={"name": "k", "scopes": ["admin"]},
            headers=alice.headers,
        )
    ).json()
    headers = {"Authorization": f"Bearer {key['secret']}"}
    assert_problem(
        await client.get(f"/v1/orgs/{bob.orgs[0]}", headers=headers), 404, "org_not_found"
    )
