"""“Sign in with <issuer>” on the sign-in page: the authorization code flow with PKCE, state
and nonce, against a real OpenID Connect issuer on loopback (tests/support/issuer.py)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from signoff.app import create_app
from signoff.core.config import OidcSettings, Settings
from signoff.core.db import Database
from tests.support.identity import sign_up
from tests.support.issuer import Issuer, running_issuer

COOKIE = "signoff_session"


@pytest.fixture
def idp() -> Iterator[Issuer]:
    with running_issuer() as (issuer, _):
        yield issuer


@pytest.fixture
def oidc_app(settings: Settings, db: Database, idp: Issuer) -> FastAPI:
    oidc = OidcSettings(
        issuer=idp.url, audience="signoff-test", allow_insecure_http=True, display_name="Test IdP"
    )
    return create_app(settings.model_copy(update={"oidc": oidc}), database=db)


@pytest.fixture
async def web(oidc_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=oidc_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as c:
        yield c


async def through_issuer(web: httpx.AsyncClient, *, next_: str = "/ui/") -> httpx.Response:
    """The browser's trip: the button, the issuer's authorize endpoint (over a real socket),
    and back to Signoff's callback with the code."""
    start = await web.get("/ui/sign-in/oidc", params={"next": next_})
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as outside:
        authorized = await outside.get(start.headers["location"])
    assert authorized.status_code == 302, authorized.text
    return await web.get(authorized.headers["location"])


def signed_in(response: httpx.Response) -> bool:
    return any(v.startswith(f"{COOKIE}=") for v in response.headers.get_list("set-cookie"))


async def test_the_sign_in_page_offers_the_issuer(web: httpx.AsyncClient) -> None:
    page = await web.get("/ui/sign-in", params={"next": "/ui/orgs/x/inbox"})
    assert "Sign in with Test IdP" in page.text
    assert 'href="/ui/sign-in/oidc?next=/ui/orgs/x/inbox"' in page.text.replace("%2F", "/")


async def test_sign_in_with_the_issuer(
    client: httpx.AsyncClient, web: httpx.AsyncClient, idp: Issuer
) -> None:
    """PKCE S256, state and nonce go to the issuer; the code is redeemed with the verifier;
    the verified email links the local account, and a new session is made (rotated)."""
    local = await sign_up(client)
    idp.login_claims = {"sub": "ann-at-idp", "email": local.email}
    web.cookies.set(COOKIE, "planted-by-an-attacker", domain="signoff.test")
    back = await through_issuer(web, next_=f"/ui/orgs/{local.orgs[0]}/inbox")
    assert back.status_code == 303, back.text
    assert back.headers["location"] == f"/ui/orgs/{local.orgs[0]}/inbox"
    assert signed_in(back)
    assert web.cookies[COOKIE] != "planted-by-an-attacker"
    (asked,) = idp.token_requests
    assert idp.token_auth == [None]  # a public client: PKCE, no secret
    assert asked["grant_type"] == "authorization_code"
    assert len(asked["code_verifier"]) >= 43
    inbox = await web.get(f"/ui/orgs/{local.orgs[0]}/inbox")
    assert inbox.status_code == 200
    assert "Sign out" in inbox.text
    # The flow cookie is spent: the same answer cannot be replayed.
    assert "signoff_oidc" not in web.cookies


async def test_a_confidential_client_authenticates_at_the_token_endpoint(
    settings: Settings, db: Database, idp: Issuer
) -> None:
    """With a client secret, the code is redeemed with HTTP Basic client authentication
    (RFC 6749 §2.3.1); without one (the other tests), as a public client: no header."""
    oidc = OidcSettings(
        issuer=idp.url,
        audience="signoff-test",
        allow_insecure_http=True,
        client_secret=SecretStr("s3cret"),
    )
    app = create_app(settings.model_copy(update={"oidc": oidc}), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as c:
        back = await through_issuer(c)
    assert back.status_code == 303, back.text
    expected = "Basic " + base64.b64encode(b"signoff-test:s3cret").decode()
    assert idp.token_auth == [expected]


async def test_the_authorization_request_carries_pkce_state_and_nonce(
    web: httpx.AsyncClient,
) -> None:
    start = await web.get("/ui/sign-in/oidc")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256, unpadded
    assert len(query["state"]) >= 43
    assert len(query["nonce"]) >= 43
    assert query["redirect_uri"] == "https://signoff.test/ui/sign-in/oidc/callback"
    assert query["scope"] == "openid email profile"
    again = await web.get("/ui/sign-in/oidc")
    assert again.headers["location"] != start.headers["location"]


async def test_a_state_that_is_not_this_browsers_is_refused(
    web: httpx.AsyncClient, idp: Issuer
) -> None:
    start = await web.get("/ui/sign-in/oidc")
    async with httpx.AsyncClient() as outside:
        authorized = await outside.get(start.headers["location"])
    callback = urlsplit(authorized.headers["location"])
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    forged = await web.get(callback.path, params={**query, "state": "someone-elses-state"})
    _refused(forged, "does not belong to this sign-in")
    # Another browser (no flow cookie) cannot finish it either.
    web.cookies.clear()
    elsewhere = await web.get(callback.path, params=query)
    _refused(elsewhere, "not started in this browser")
    assert idp.token_requests == []  # the code was never redeemed


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"nonce": "forged-nonce"}, "not issued for this sign-in"),
        ({"aud": "someone-else"}, "audience"),
        ({"iat": 999_000, "exp": 1_000_000}, "expired"),
    ],
    ids=["bad-nonce", "wrong-audience", "expired"],
)
async def test_an_id_token_that_does_not_verify_is_refused(
    web: httpx.AsyncClient, idp: Issuer, claims: dict[str, Any], words: str
) -> None:
    idp.login_claims = claims
    _refused(await through_issuer(web), words)


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"email": None}, "carries no email"),
        ({"sub": "mallory", "email_verified": False}, "not verified"),
    ],
    ids=["no-email", "unverified-email-of-an-account"],
)
async def test_an_identity_signoff_cannot_use_is_a_clear_page(
    client: httpx.AsyncClient,
    web: httpx.AsyncClient,
    idp: Issuer,
    claims: dict[str, Any],
    words: str,
) -> None:
    local = await sign_up(client)
    idp.login_claims = {"email": local.email} | claims
    _refused(await through_issuer(web), words)


async def test_an_unknown_verified_email_gets_an_account(
    web: httpx.AsyncClient, idp: Issuer
) -> None:
    """As for the issuer's API tokens (design §7.3): created without a password, in no
    organization yet, so the home page says so (not an error)."""
    idp.login_claims = {"sub": "newcomer", "email": "newcomer@idp.example"}
    back = await through_issuer(web)
    assert back.status_code == 303
    assert signed_in(back)
    home = await web.get("/ui/")
    assert home.status_code == 200
    assert "You belong to no organization yet" in home.text


async def test_the_issuers_refusal_is_shown(web: httpx.AsyncClient) -> None:
    start = await web.get("/ui/sign-in/oidc")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    back = await web.get(
        "/ui/sign-in/oidc/callback", params={"error": "access_denied", "state": state}
    )
    _refused(back, "access_denied")


async def test_without_an_issuer_there_is_no_button(web: httpx.AsyncClient, app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as plain:
        page = await plain.get("/ui/sign-in")
        assert "Sign in with" not in page.text
        assert (await plain.get("/ui/sign-in/oidc")).status_code == 404


def _refused(response: httpx.Response, words: str) -> None:
    """The sign-in page again, the reason in words, no session: never a 500."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert words.lower() in response.text.lower(), response.text
    assert 'action="/ui/sign-in"' in response.text
    assert not signed_in(response)


def _app_with(settings: Settings, db: Database, idp: Issuer, **update: Any) -> FastAPI:
    oidc = OidcSettings(
        issuer=idp.url, audience="signoff-test", allow_insecure_http=True, org_claim="groups"
    )
    return create_app(settings.model_copy(update={"oidc": oidc, **update}), database=db)


async def test_the_org_claim_makes_the_browser_a_member_as_it_does_a_token(
    client: httpx.AsyncClient, settings: Settings, db: Database, idp: Issuer
) -> None:
    """The rule of the provider's API tokens (AccessService, design §7.3), applied at the
    browser's sign-in: each existing organization the claim names is joined, never as
    owner; the home page lists it at once; a membership already there is left alone."""
    owner = await sign_up(client)
    org = owner.orgs[0]
    app = _app_with(settings, db, idp)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as web:
        idp.login_claims = {
            "sub": "carol",
            "email": "carol@idp.example",
            "groups": [f"{org}:owner", "no-such-org"],
        }
        back = await through_issuer(web)
        assert back.status_code == 303, back.text
        home = await web.get("/ui/")
        assert home.status_code == 303
        assert home.headers["location"] == f"/ui/orgs/{org}/inbox"
        assert (await web.get(home.headers["location"])).status_code == 200
        members = await client.get(f"/v1/orgs/{org}/members", headers=owner.headers)
        roles = {m["email"]: m["role"] for m in members.json()["items"]}
        assert roles["carol@idp.example"] == "admin"  # an owner claim grants admin at most

        # Signed in again with another role claimed: the membership stays as it is.
        idp.login_claims["groups"] = [f"{org}:viewer"]
        web.cookies.clear()
        assert (await through_issuer(web)).status_code == 303
        members = await client.get(f"/v1/orgs/{org}/members", headers=owner.headers)
        assert {m["email"]: m["role"] for m in members.json()["items"]}[
            "carol@idp.example"
        ] == "admin"


async def test_the_provider_sign_in_is_under_the_sign_in_throttle(
    settings: Settings, db: Database, idp: Issuer
) -> None:
    """Failed callbacks spend the address's counter that wrong passwords spend; once it
    is spent, the start and the callback are refused in words (429), before any call to
    the provider, and so is a password sign-in from the same address."""
    throttle = settings.throttle.model_copy(update={"per_address": "2/minute"})
    app = _app_with(settings, db, idp, throttle=throttle)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as web:
        for _ in range(2):
            start = await web.get("/ui/sign-in/oidc")
            assert start.status_code == 303
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            failed = await web.get(
                "/ui/sign-in/oidc/callback", params={"error": "access_denied", "state": state}
            )
            assert failed.status_code == 401
        for path in ("/ui/sign-in/oidc", "/ui/sign-in/oidc/callback?code=x&state=y"):
            refused = await web.get(path)
            assert refused.status_code == 429, (path, refused.text)
            assert refused.headers["content-type"].startswith("text/html")
            assert "Too many failed sign-in attempts" in refused.text
            assert int(refused.headers["retry-after"]) >= 1
        page = await web.get("/ui/sign-in")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        password = await web.post(
            "/ui/sign-in",
            data={"csrf_token": csrf, "email": "someone@example.com", "password": "x" * 12},
        )
        assert password.status_code == 429
    assert idp.token_requests == []
