"""Password hashing parameters, rehashing and the cost of a login."""

from __future__ import annotations

from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.accounts.models import User
from signoff.accounts.passwords import Passwords
from signoff.app import create_app
from signoff.core.config import AuthSettings, Settings
from signoff.core.db import Database
from tests.support.identity import PASSWORD, sign_in, sign_up


async def test_production_parameters_are_argon2id_owasp() -> None:
    passwords = Passwords(AuthSettings())
    stored = await passwords.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passwords.verify(stored, PASSWORD)
    assert not await passwords.verify(stored, PASSWORD + "!")
    assert not await passwords.verify(None, PASSWORD)
    assert not await passwords.verify("not a hash", PASSWORD)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    """The parameters of every argon2 verification this process makes (each still runs)."""
    made: list[dict[str, int]] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> Literal[True]:
        params = extract_parameters(hash if isinstance(hash, str) else hash.decode())
        made.append({"m": params.memory_cost, "t": params.time_cost, "p": params.parallelism})
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return made


async def test_unknown_account_costs_a_full_verification(
    app: FastAPI, client: httpx.AsyncClient, verifications: list[dict[str, int]]
) -> None:
    """Unknown email and wrong password each make exactly one argon2 verification with the
    same parameters: the same work, so the same time (counted, not timed; the timing itself
    is in bench/sign_in.py)."""
    owner = await sign_up(client)
    verifications.clear()
    for username in (owner.email, "nobody-" + owner.email):
        response = await client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": "wrong password"},
        )
        assert response.status_code == 400, response.text
    known, unknown = verifications
    assert known == unknown
    assert len(verifications) == 2


async def test_the_decoy_has_the_configured_cost(verifications: list[dict[str, int]]) -> None:
    passwords = Passwords(AuthSettings())
    await passwords.verify(None, "wrong password here")
    await passwords.verify(await passwords.hash(PASSWORD), "wrong password here")
    assert verifications == [{"m": 19456, "t": 2, "p": 1}] * 2


async def test_rehash_on_login_when_parameters_change(
    settings: Settings, db: Database, connection: AsyncConnection
) -> None:
    app = create_app(settings, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        owner = await sign_up(c)
    before = (
        await connection.execute(select(User.password_hash).where(User.id == owner.user_id))
    ).scalar_one()
    assert "m=8192,t=1" in str(before)
    stronger = settings.model_copy(update={"auth": AuthSettings()})
    app = create_app(stronger, database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await sign_in(c, owner.email)
    after = (
        await connection.execute(select(User.password_hash).where(User.id == owner.user_id))
    ).scalar_one()
    assert str(after).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(str(after), PASSWORD)


def test_policy() -> None:
    passwords = Passwords(AuthSettings())
    assert passwords.problems("a long and unusual sentence") == []
    assert "must be at least 12 characters" in passwords.problems("short")
    assert "is one of the most common passwords" in passwords.problems("password1234")
    assert passwords.problems("x" * 300)[0].startswith("must be at most")
    assert passwords.problems("jonathan-rules-the-world", email="jonathan@example.com")
