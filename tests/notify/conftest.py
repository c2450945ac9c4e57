"""An app that sends email notices to a real local SMTP server, on a clock the test moves."""

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
from tests.support.notices import with_smtp
from tests.support.smtp import MailServer, running_mail_server
from tests.support.webhooks import background, serving


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
async def mail_app(
    settings: Settings, db: Database, clock: FrozenClock, mail: MailServer
) -> AsyncIterator[FastAPI]:
    app = create_app(with_smtp(settings, mail), database=db, clock=clock)
    yield app
    await background(app).stop()


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mail_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


AppFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def make_app(settings: Settings, db: Database, clock: FrozenClock) -> AppFactory:
    """An app sending to another server, or with other SMTP settings
    (``make_app(server, username="signoff")``)."""

    @asynccontextmanager
    async def made(
        server: MailServer, **overrides: Any
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        app = create_app(with_smtp(settings, server, **overrides), database=db, clock=clock)
        async with serving(app) as client:
            yield app, client

    return made
