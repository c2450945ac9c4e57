"""Fixtures shared by tests that need the probe routes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.config import Settings
from signoff.core.db import Database
from tests.support.probe import probe_app


@pytest.fixture
def probe(settings: Settings, db: Database) -> FastAPI:
    return probe_app(create_app(settings, database=db))


@pytest.fixture
async def probe_client(probe: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probe)
    async with httpx.AsyncClient(transport=transport, base_url="http://signoff.test") as client:
        yield client


def token_for(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer probe:{user}"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return dict(body)
