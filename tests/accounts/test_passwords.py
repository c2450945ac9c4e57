"""Password hashing parameters, rehashing and the cost of a login."""

from __future__ import annotations

import time

import httpx
from argon2 import PasswordHasher
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


async def test_unknown_account_costs_a_full_verification() -> None:
    passwords = Passwords(AuthSettings())
    stored = await passwords.hash(PASSWORD)
    timings: dict[str, float] = {"known": 0.0, "unknown": 0.0}
    for _ in range(5):
        for kind, value in (("known", stored), ("unknown", None)):
            begin = time.perf_counter()
            await passwords.verify(value, "wrong password here")
            timings[kind] += time.perf_counter() - begin
    # Compared as a ratio in one run (a shared machine is noisy): same work either way.
    assert 0.5 < timings["unknown"] / timings["known"] < 2.0


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
