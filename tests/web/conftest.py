from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.conftest import server_database_url
from tests.web.pages import Person

__all__ = ["server_database_url"]  # the browser tests' server gets a database of its own


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies as a browser does; over https, since the session cookie
    is Secure outside development."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as c:
        yield c


@pytest.fixture
def person(browser: httpx.AsyncClient) -> Person:
    return Person(browser)
