"""An app whose webhooks may reach loopback receivers, on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import Settings
from signoff.core.db import Database
from tests.support.identity import Actor, sign_up
from tests.support.receiver import Receiver, running_receiver
from tests.support.webhooks import background, serving, with_webhooks


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return with_webhooks(settings)


@pytest.fixture
async def hook_app(
    hook_settings: Settings, db: Database, clock: FrozenClock
) -> AsyncIterator[FastAPI]:
    app = create_app(hook_settings, database=db, clock=clock)
    yield app
    await background(app).stop()  # closes the delivery client and its connections


@pytest.fixture
async def hook_client(hook_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


@pytest.fixture
async def admin(hook_client: httpx.AsyncClient) -> Actor:
    return await sign_up(hook_client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


AppFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def make_app(settings: Settings, db: Database, clock: FrozenClock) -> AppFactory:
    """An app with other webhook settings (``make_app(breaker_threshold=2)``)."""

    @asynccontextmanager
    async def made(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        app = create_app(with_webhooks(settings, **overrides), database=db, clock=clock)
        async with serving(app) as client:
            yield app, client

    return made
