"""A dump of the database holds no password, API key, refresh token or client secret."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.identity import PASSWORD, sign_in, sign_up
from tests.support.webhooks import create_webhook


def _raw(secret: str) -> str:
    """The secret's bytes as they would sit in a cell (latin-1, as ``dump`` decodes them)."""
    return base64.b64decode(secret.removeprefix("whsec_")).decode("latin-1")


pytestmark = pytest.mark.requirement("REQ-015")


async def dump(connection: AsyncConnection) -> str:
    """Every cell of every table, as text (bytes decoded leniently)."""
    metadata = MetaData()
    await connection.run_sync(metadata.reflect)
    cells: list[str] = []
    for table in metadata.sorted_tables:
        for row in (await connection.execute(select(table))).all():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    cells.append(bytes(value).decode("latin-1"))
                else:
                    cells.append(str(value))
    return "\n".join(cells)


async def test_no_plaintext_credentials_in_the_database(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    second = await sign_in(client, owner.email)
    key = (
        await client.post(
            f"/v1/orgs/{org}/api-keys",
            json={"name": "k", "scopes": ["admin"]},
            headers=owner.headers,
        )
    ).json()
    account = (
        await client.post(
            f"/v1/orgs/{org}/service-accounts",
            json={"name": "s", "scopes": ["admin"]},
            headers=owner.headers,
        )
    ).json()
    hook = await create_webhook(client, owner, "https://hooks.example.com/at-rest")
    rotated = (
        await client.post(
            f"/v1/orgs/{org}/webhooks/{hook['id']}/rotate-secret", headers=owner.headers
        )
    ).json()
    inbound = (
        await client.post(
            f"/v1/orgs/{org}/inbound/sources", json={"name": "Jama"}, headers=owner.headers
        )
    ).json()
    await client.get("/v1/me", headers={"Authorization": f"Bearer {key['secret']}"})
    everything = await dump(connection)
    assert owner.email in everything  # the dump is real: it does hold the account
    secrets = {
        "password": PASSWORD,
        "refresh token": owner.refresh_token,
        "second refresh token": second["refresh_token"],
        "API key": key["secret"],
        "API key secret part": key["secret"][len(key["prefix"]) + 1 :],
        "client secret": account["client_secret"],
        "webhook secret": hook["secret"],
        "webhook secret, raw": _raw(hook["secret"]),
        "inbound source secret": inbound["secret"],
        "inbound source secret, raw": _raw(inbound["secret"]),
        "rotated webhook secret": rotated["secret"],
        "rotated webhook secret, raw": _raw(rotated["secret"]),
    }
    leaked = [name for name, value in secrets.items() if value in everything]
    assert leaked == []
