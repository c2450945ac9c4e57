"""The token endpoint's grants, refresh rotation and reuse detection, revocation."""

from __future__ import annotations

import base64

import httpx
import jwt
import pytest

from tests.support.fixtures import assert_problem
from tests.support.identity import PASSWORD, sign_in, sign_up

pytestmark = pytest.mark.requirement("REQ-014")


async def test_password_grant_issues_a_complete_access_token(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    response = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": owner.email, "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"].startswith("rt_")
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "at+jwt"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"iss", "aud", "exp", "iat", "jti", "sub", "scope"} <= set(claims)
    assert claims["sub"] == str(owner.user_id)
    assert claims["exp"] - claims["iat"] == 900
    assert set(claims["scope"].split()) == {
        "documents:read",
        "documents:write",
        "reviews:write",
        "admin",
    }


async def test_unknown_user_and_wrong_password_answer_alike(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    wrong = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": owner.email, "password": "not the password"},
    )
    unknown = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "nobody@example.com", "password": "whatever"},
    )
    for response in (wrong, unknown):
        body = assert_problem(response, 400, "invalid_grant")
        assert body["error"] == "invalid_grant"
    strip = ("request_id", "instance")
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    first = owner.refresh_token
    rotated = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first
    reuse = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    body = assert_problem(reuse, 400, "invalid_grant")
    assert "whole family has been revoked" in str(body["title"])
    # The thief's reuse also cut off the legitimate holder of the newest token.
    after = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": second}
    )
    assert_problem(after, 400, "invalid_grant")
    # Another login's family is untouched.
    other = await sign_in(client, owner.email)
    ok = await client.post(
        "/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": other["refresh_token"]},
    )
    assert ok.status_code == 200


async def test_refresh_can_narrow_but_not_widen_scope(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    narrow = await sign_in(client, owner.email, scope="documents:read")
    assert narrow["scope"] == "documents:read"
    widen = await client.post(
        "/v1/auth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": narrow["refresh_token"],
            "scope": "documents:read admin",
        },
    )
    assert_problem(widen, 400, "invalid_scope")


async def test_revocation_revokes_the_family(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    revoked = await client.post("/v1/auth/revoke", data={"token": owner.refresh_token})
    assert revoked.status_code == 200
    use = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": owner.refresh_token}
    )
    assert_problem(use, 400, "invalid_grant")
    unknown = await client.post("/v1/auth/revoke", data={"token": "rt_unknown"})
    assert unknown.status_code == 200  # RFC 7009 §2.2: not an error


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password", "username": "a@b.c"}, "invalid_request"),
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        (
            {"grant_type": "password", "username": "a@b.c", "password": "x", "scope": "root"},
            "invalid_scope",
        ),
    ],
)
async def test_malformed_token_requests(
    client: httpx.AsyncClient, form: dict[str, str], code: str
) -> None:
    response = await client.post("/v1/auth/token", data=form)
    assert_problem(response, 400, code)
    assert response.json()["error"] == code


async def test_token_endpoint_wants_a_form(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/token", json={"grant_type": "password"})
    assert_problem(response, 415, "unsupported_media_type")


async def test_client_credentials_in_form_and_basic(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    created = await client.post(
        f"/v1/orgs/{owner.orgs[0]}/service-accounts",
        json={"name": "ci", "scopes": ["documents:read", "documents:write"]},
        headers=owner.headers,
    )
    assert created.status_code == 201
    account = created.json()
    form = {
        "grant_type": "client_credentials",
        "client_id": account["client_id"],
        "client_secret": account["client_secret"],
    }
    by_form = await client.post("/v1/auth/token", data=form)
    assert by_form.status_code == 200
    assert "refresh_token" not in by_form.json() or by_form.json()["refresh_token"] is None
    basic = base64.b64encode(f"{account['client_id']}:{account['client_secret']}".encode()).decode()
    by_basic = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "documents:read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.json()["scope"] == "documents:read"
    token = by_basic.json()["access_token"]
    me = (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["kind"] == "service_account"
    assert me["orgs"] == [{"slug": owner.orgs[0], "name": f"Org {owner.orgs[0]}", "role": "viewer"}]
    bad = await client.post("/v1/auth/token", data=form | {"client_secret": "wrong"})
    assert_problem(bad, 401, "invalid_client")
    assert bad.json()["error"] == "invalid_client"
    too_much = await client.post("/v1/auth/token", data=form | {"scope": "admin"})
    assert_problem(too_much, 400, "invalid_scope")


async def test_revoked_service_account_loses_its_tokens_at_once(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    account = (
        await client.post(
            f"/v1/orgs/{org}/service-accounts",
            json={"name": "ci", "scopes": ["documents:read"]},
            headers=owner.headers,
        )
    ).json()
    token = (
        await client.post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account["client_id"],
                "client_secret": account["client_secret"],
            },
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/v1/orgs/{org}", headers=headers)).status_code == 200
    deleted = await client.delete(
        f"/v1/orgs/{org}/service-accounts/{account['id']}", headers=owner.headers
    )
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/v1/orgs/{org}", headers=headers), 401, "invalid_token")
