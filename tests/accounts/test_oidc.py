"""Tokens from an external OpenID Connect issuer, against a real issuer on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import OidcSettings, Settings
from signoff.core.db import Database
from tests.support.fixtures import assert_problem
from tests.support.identity import sign_up
from tests.support.issuer import Issuer, running_issuer


@pytest.fixture
def issuer() -> Iterator[tuple[Issuer, ThreadingHTTPServer]]:
    with running_issuer() as running:
        yield running


def oidc_app(settings: Settings, db: Database, issuer: Issuer, **extra: object) -> FastAPI:
    oidc = OidcSettings(
        issuer=issuer.url,
        audience="signoff-test",
        allow_insecure_http=True,
        org_claim="groups",
        **extra,
    )
    return create_app(settings.model_copy(update={"oidc": oidc}), database=db)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_user_is_provisioned_once(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first = await c.get("/v1/me", headers=bearer(idp.token()))
        second = await c.get("/v1/me", headers=bearer(idp.token()))
    assert first.status_code == 200, first.text
    assert first.json()["user"]["email"] == "alice@idp.example"
    assert second.json()["id"] == first.json()["id"]
    assert idp.jwks_fetches == 1  # cached


async def test_org_membership_from_the_claim_never_owner(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        owner = await sign_up(c)
        org = owner.orgs[0]
        no_claim = await c.get(
            f"/v1/orgs/{org}", headers=bearer(idp.token(sub="bob", email="bob@idp.example"))
        )
        assert_problem(no_claim, 404, "org_not_found")
        token = idp.token(groups=[f"{org}:owner", "unknown-org"])
        assert (await c.get(f"/v1/orgs/{org}", headers=bearer(token))).status_code == 200
        me = (await c.get("/v1/me", headers=bearer(token))).json()
        assert me["orgs"] == [{"slug": org, "name": f"Org {org}", "role": "admin"}]


async def test_unknown_kid_refresh_is_rate_limited(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp, jwks_min_refresh_s=30)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/me", headers=bearer(idp.token()))).status_code == 200
        assert idp.jwks_fetches == 1
        forged = idp.token().split(".")
        import base64
        import json

        header = json.loads(base64.urlsafe_b64decode(forged[0] + "=="))
        for n in range(5):
            header["kid"] = f"forged-{n}"
            fake = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
            response = await c.get("/v1/me", headers=bearer(".".join([fake, *forged[1:]])))
            assert_problem(response, 401, "invalid_token")
        # The keys were fetched moments ago: within the interval no forged kid refetches.
        # (test_issuer_key_rotation_is_followed shows an unknown kid does refetch after it.)
        assert idp.jwks_fetches == 1


async def test_issuer_key_rotation_is_followed(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp, jwks_min_refresh_s=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/me", headers=bearer(idp.token()))).status_code == 200
        idp.rotate()
        assert (await c.get("/v1/me", headers=bearer(idp.token()))).status_code == 200


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"exp": 1_000_000}, "expired"),
    ],
)
async def test_invalid_external_tokens(
    settings: Settings,
    db: Database,
    issuer: tuple[Issuer, ThreadingHTTPServer],
    claims: dict[str, object],
    reason: str,
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp)
    audience = str(claims.pop("aud", "signoff-test"))
    extra: dict[str, object] = dict(claims)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/v1/me", headers=bearer(idp.token(audience, None, **extra)))
    body = assert_problem(response, 401, "invalid_token")
    assert reason in str(body["detail"]).lower()


async def test_unverified_email_does_not_take_over_an_account(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, _ = issuer
    app = oidc_app(settings, db, idp)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        local = await sign_up(c)
        token = idp.token(sub="mallory", email=local.email, email_verified=False)
        response = await c.get("/v1/me", headers=bearer(token))
        assert_problem(response, 401, "unauthorized")
        verified = idp.token(sub="mallory-verified", email=local.email, email_verified=True)
        linked = await c.get("/v1/me", headers=bearer(verified))
        assert linked.json()["id"] == str(local.user_id)


async def test_issuer_down_fails_closed_for_new_keys(
    settings: Settings, db: Database, issuer: tuple[Issuer, ThreadingHTTPServer]
) -> None:
    idp, server = issuer
    app = oidc_app(settings, db, idp, jwks_min_refresh_s=0, http_timeout_s=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/me", headers=bearer(idp.token()))).status_code == 200
        server.shutdown()
        server.server_close()
        assert (await c.get("/v1/me", headers=bearer(idp.token()))).status_code == 200  # cached key
        idp.rotate()
        assert_problem(await c.get("/v1/me", headers=bearer(idp.token())), 401, "invalid_token")
