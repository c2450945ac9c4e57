from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.identity import Actor, sign_up

FIXTURES = Path(__file__).resolve().parents[1] / "docformat" / "fixtures"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Actor:
    return await sign_up(client)


@pytest.fixture
def filled() -> str:
    return (FIXTURES / "filled-document.md").read_text("utf-8")


def docs_url(actor: Actor, suffix: str = "") -> str:
    return f"/v1/orgs/{actor.orgs[0]}/documents{suffix}"


async def import_md(client: httpx.AsyncClient, actor: Actor, text: str) -> httpx.Response:
    return await client.post(
        docs_url(actor),
        content=text.encode(),
        headers=actor.headers | {"Content-Type": "text/markdown"},
    )
