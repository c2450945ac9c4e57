"""Login throttling: before hashing, progressive, and no lockout of the real user."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from signoff.accounts.runtime import AccountsRuntime
from signoff.app import create_app
from signoff.core.config import Settings, ThrottleSettings
from signoff.core.db import Database
from signoff.core.services import Services
from tests.support.fixtures import assert_problem
from tests.support.identity import PASSWORD, sign_up

pytestmark = pytest.mark.requirement("REQ-028")

TIGHT = ThrottleSettings(
    per_address="20/minute", per_account_and_address="3/minute", per_account="6/minute"
)


def app_with(settings: Settings, db: Database, throttle: ThrottleSettings) -> FastAPI:
    return create_app(settings.model_copy(update={"throttle": throttle}), database=db)


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


async def test_throttled_before_hashing_with_retry_after(settings: Settings, db: Database) -> None:
    app = app_with(settings, db, TIGHT)
    async with client_from(app, "203.0.113.5") as client:
        owner = await sign_up(client)
        for _ in range(3):
            assert (await attempt(client, owner.email, "wrong")).status_code == 400
        hashed: list[str] = []
        passwords = Services.of(app).part(AccountsRuntime).passwords
        original = passwords.verify

        async def counting(stored: str | None, password: str) -> bool:
            hashed.append(password)
            result: bool = await original(stored, password)
            return result

        passwords.verify = counting  # type: ignore[method-assign]
        blocked = await attempt(client, owner.email, PASSWORD)  # even the right password
        assert_problem(blocked, 429, "login_throttled")
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        assert hashed == []  # refused before any hashing


async def test_other_addresses_are_not_blocked_by_one_attacker(
    settings: Settings, db: Database
) -> None:
    app = app_with(settings, db, TIGHT)
    async with client_from(app, "198.51.100.7") as user:
        owner = await sign_up(user)
    async with client_from(app, "203.0.113.9") as attacker:
        for _ in range(3):
            await attempt(attacker, owner.email, "guess")
        assert (await attempt(attacker, owner.email, "guess")).status_code == 429
    async with client_from(app, "198.51.100.7") as user:
        assert (await attempt(user, owner.email, PASSWORD)).status_code == 200


async def test_distributed_attack_spares_known_addresses(settings: Settings, db: Database) -> None:
    app = app_with(settings, db, TIGHT)
    async with client_from(app, "198.51.100.8") as home:
        owner = await sign_up(home)  # signing in from home makes it a known address
    for n in range(6):  # six attackers, two guesses each: over the per-account limit
        async with client_from(app, f"203.0.113.{20 + n}") as attacker:
            await attempt(attacker, owner.email, "guess")
    async with client_from(app, "203.0.113.99") as stranger:
        assert_problem(await attempt(stranger, owner.email, PASSWORD), 429, "login_throttled")
    async with client_from(app, "198.51.100.8") as home:
        assert (await attempt(home, owner.email, PASSWORD)).status_code == 200


async def test_success_clears_the_account_and_address_count(
    settings: Settings, db: Database
) -> None:
    app = app_with(settings, db, TIGHT)
    async with client_from(app, "198.51.100.9") as client:
        owner = await sign_up(client)
        for _ in range(2):
            await attempt(client, owner.email, "typo")
        assert (await attempt(client, owner.email, PASSWORD)).status_code == 200
        for _ in range(2):
            assert (await attempt(client, owner.email, "typo")).status_code == 400


async def test_forged_forwarded_for_is_ignored(settings: Settings, db: Database) -> None:
    app = app_with(settings, db, TIGHT)
    async with client_from(app, "203.0.113.50") as client:
        owner = await sign_up(client)
        for n in range(3):
            await client.post(
                "/v1/auth/token",
                data={"grant_type": "password", "username": owner.email, "password": "guess"},
                headers={"X-Forwarded-For": f"10.0.0.{n}"},
            )
        blocked = await client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": owner.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "10.0.0.200"},
        )
        assert blocked.status_code == 429
