"""Access-token validation (RFC 8725) and signing-key rotation."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pydantic import SecretStr

from signoff.accounts.runtime import AccountsRuntime
from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import AuthSettings, Settings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.support.fixtures import assert_problem
from tests.support.identity import sign_up

pytestmark = pytest.mark.requirement("REQ-014")


def claims_of(token: str) -> dict[str, object]:
    result: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return result


async def refused(client: httpx.AsyncClient, token: str) -> dict[str, object]:
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    return body


async def test_valid_token_is_accepted(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    assert (await client.get("/v1/me", headers=owner.headers)).status_code == 200


async def test_tampered_token_is_refused(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    header, payload, signature = owner.token.split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"scope":"', b'"scope":"admin ')
    ).decode()
    await refused(client, f"{header}.{forged}.{signature}")
    await refused(client, f"{header}.{payload}.{signature[:-4]}AAAA")


async def test_alg_none_and_symmetric_tricks_are_refused(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    claims = claims_of(owner.token)
    kid = jwt.get_unverified_header(owner.token)["kid"]
    unsigned = jwt.encode(claims, key="", algorithm="none", headers={"kid": kid, "typ": "at+jwt"})
    await refused(client, unsigned)
    # The classic confusion: sign with HMAC using the public key as the secret.
    jwks = (await client.get("/.well-known/jwks.json")).json()
    public = next(k for k in jwks["keys"] if k["kid"] == kid)["x"]
    hmac_signed = jwt.encode(
        claims, public, algorithm="HS256", headers={"kid": kid, "typ": "at+jwt"}
    )
    await refused(client, hmac_signed)


async def test_foreign_key_is_refused(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    claims = claims_of(owner.token)
    kid = jwt.get_unverified_header(owner.token)["kid"]
    other = Ed25519PrivateKey.generate()
    await refused(
        client, jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})
    )
    await refused(
        client,
        jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": "made-up", "typ": "at+jwt"}),
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "not yet valid"),
    ],
)
async def test_wrong_claims_are_refused(
    client: httpx.AsyncClient, app: FastAPI, change: dict[str, object], reason: str
) -> None:
    owner = await sign_up(client)
    claims = claims_of(owner.token) | change
    kid = jwt.get_unverified_header(owner.token)["kid"]
    # Sign properly with the server's own key: only the claims are wrong.
    keys = Services.of(app).part(AccountsRuntime).keys
    async with Services.of(app).db.session() as session:
        signing_kid, key = await keys.signer(session, Services.of(app).clock.now())
    assert signing_kid == kid
    body = await refused(
        client, jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})
    )
    assert reason in str(body["detail"]).lower()


async def test_missing_required_claim_is_refused(client: httpx.AsyncClient, app: FastAPI) -> None:
    owner = await sign_up(client)
    claims = claims_of(owner.token)
    del claims["jti"]
    services = Services.of(app)
    async with services.db.session() as session:
        kid, key = await services.part(AccountsRuntime).keys.signer(session, services.clock.now())
    await refused(
        client, jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})
    )


async def test_not_a_jwt_and_wrong_scheme(client: httpx.AsyncClient) -> None:
    await refused(client, "garbage")
    response = await client.get("/v1/me", headers={"Authorization": "Bearer "})
    assert response.status_code == 401
    basic = await client.get("/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_problem(basic, 401, "unauthorized")
    assert basic.headers["www-authenticate"] == 'Bearer realm="signoff"'


async def test_rotation_keeps_tokens_of_the_previous_key_valid(
    settings: Settings, db: Database
) -> None:
    clock = FrozenClock(__import__("datetime").datetime.now(__import__("datetime").UTC))
    app = create_app(settings, database=db, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        owner = await sign_up(c)
        old_kid = jwt.get_unverified_header(owner.token)["kid"]
        async with db.session() as session:
            new_kid = await Services.of(app).part(AccountsRuntime).keys.rotate(session, clock.now())
            await session.commit()
        assert new_kid != old_kid
        jwks = {k["kid"] for k in (await c.get("/.well-known/jwks.json")).json()["keys"]}
        assert jwks == {old_kid, new_kid}
        assert (await c.get("/v1/me", headers=owner.headers)).status_code == 200
        fresh = (
            await c.post(
                "/v1/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": owner.refresh_token},
            )
        ).json()
        assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
        # Once every token the old key signed has expired, it is no longer published.
        clock.advance(timedelta(seconds=900 + 31))
        # The cache would otherwise serve it for 60 s.
        Services.of(app).part(AccountsRuntime).keys._loaded = None
        jwks = {k["kid"] for k in (await c.get("/.well-known/jwks.json")).json()["keys"]}
        assert jwks == {new_kid}


async def test_scheduled_rotation_rotates_only_when_due(settings: Settings, db: Database) -> None:
    import datetime as dt

    clock = FrozenClock(dt.datetime.now(dt.UTC))
    app = create_app(settings, database=db, clock=clock)
    keys = Services.of(app).part(AccountsRuntime).keys
    async with db.session() as session:
        first = await keys.rotate_if_due(session, clock.now())  # no key yet: make one
        assert first is not None
        assert await keys.rotate_if_due(session, clock.now()) is None
        clock.advance(timedelta(days=31))
        second = await keys.rotate_if_due(session, clock.now())
        assert second not in (None, first)
        await session.rollback()


async def test_signing_key_from_settings(settings: Settings, db: Database) -> None:
    private = Ed25519PrivateKey.generate()
    previous = Ed25519PrivateKey.generate().public_key()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    old_pem = previous.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    from_file = settings.model_copy(
        update={
            "auth": AuthSettings(
                signing_key=pem,
                previous_public_keys=old_pem,
                argon2_memory_kib=8192,
                argon2_time_cost=1,
            )
        }
    )
    app = create_app(from_file, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        owner = await sign_up(c)
        jwks = (await c.get("/.well-known/jwks.json")).json()["keys"]
        assert len(jwks) == 2
        kid = jwt.get_unverified_header(owner.token)["kid"]
        assert kid == jwks[0]["kid"]
        public = jwt.PyJWK(jwks[0]).key
        assert jwt.decode(owner.token, public, algorithms=["EdDSA"], audience="signoff-api")


async def test_unreadable_stored_key_is_replaced_not_fatal(
    settings: Settings, db: Database
) -> None:
    """A signing key sealed under another secret cannot sign; tokens it signed still verify
    (from its public key), and a new key is made for new tokens."""
    app = create_app(settings, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        owner = await sign_up(c)
        old_kid = jwt.get_unverified_header(owner.token)["kid"]
    other_secret = settings.model_copy(update={"secret_key": SecretStr("another-" + "x" * 40)})
    app = create_app(other_secret, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/v1/me", headers=owner.headers)).status_code == 200
        fresh = await c.post(
            "/v1/auth/token",
            data={
                "grant_type": "password",
                "username": owner.email,
                "password": "correct horse battery staple",
            },
        )
        assert fresh.status_code == 200, fresh.text
        assert jwt.get_unverified_header(fresh.json()["access_token"])["kid"] != old_kid
