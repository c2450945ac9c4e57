"""Sending signed requirement events the way an upstream system would."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from signoff.webhooks.signing import decode_secret, headers
from tests.support.identity import Actor


@dataclass
class Upstream:
    """A requirements system holding a source's secret."""

    org: str
    source_id: str
    secret: str

    def signed(
        self, event: dict[str, Any], *, at: float | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event).encode()
        raw = decode_secret(secret or self.secret)
        stamp = int(at if at is not None else time.time())
        return body, headers([raw], str(event["id"]), stamp, body) | {
            "Content-Type": "application/json"
        }

    async def send(
        self, client: httpx.AsyncClient, event: dict[str, Any], **kw: Any
    ) -> httpx.Response:
        body, signed = self.signed(event, **kw)
        return await client.post(
            f"/v1/orgs/{self.org}/inbound/requirements", content=body, headers=signed
        )


async def upstream(client: httpx.AsyncClient, owner: Actor, name: str = "Jama") -> Upstream:
    org = owner.orgs[0]
    created = await client.post(
        f"/v1/orgs/{org}/inbound/sources", json={"name": name}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return Upstream(org, body["id"], body["secret"])


def event(
    type: str,
    external_id: str,
    requirement_id: str,
    *,
    document: str = "DD-1",
    summary: str | None = None,
    sections: list[str] | None = None,
    version: int | None = None,
    occurred_at: str = "2026-11-26T08:00:00Z",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": external_id,
        "document": document,
        "requirement_id": requirement_id,
    }
    if summary is not None:
        data["summary"] = summary
    if sections is not None:
        data["design_sections"] = sections
    found: dict[str, Any] = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": type,
        "occurred_at": occurred_at,
        "data": data,
    }
    if version is not None:
        found["version"] = version
    return found
