"""The audit log: every change and security event, hash-chained and verifiable."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from signoff.audit.models import GLOBAL_CHAIN, AuditEvent
from tests.support.fixtures import assert_problem
from tests.support.identity import join, sign_up

pytestmark = pytest.mark.requirement("REQ-016")


async def test_changes_are_logged_with_their_actor(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    member = await join(client, owner, org, "member")
    events = (await client.get(f"/v1/orgs/{org}/audit-events", headers=owner.headers)).json()[
        "items"
    ]
    types = [e["type"] for e in events]
    assert types[:5] == [
        "orgs.invitation_accepted",
        "orgs.member_added",
        "orgs.invitation_created",
        "auth.signed_up",
        "orgs.created",
    ]
    invited, added = events[2], events[1]
    assert invited["actor"] == f"user:{owner.user_id}"
    # Membership is by invitation: the person joins by accepting (ADR 0015).
    assert added["actor"] == f"user:{member.user_id}"
    assert added["data"] == {"user_id": str(member.user_id), "role": "member"}
    assert added["request_id"]
    assert [e["seq"] for e in events] == sorted((e["seq"] for e in events), reverse=True)
    only_orgs = (
        await client.get(f"/v1/orgs/{org}/audit-events?type=orgs.", headers=owner.headers)
    ).json()["items"]
    assert {e["type"] for e in only_orgs} == {
        "orgs.created",
        "orgs.member_added",
        "orgs.invitation_created",
        "orgs.invitation_accepted",
    }


async def test_only_admins_read_the_log(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    member = await join(client, owner, owner.orgs[0], "member")
    response = await client.get(f"/v1/orgs/{owner.orgs[0]}/audit-events", headers=member.headers)
    assert_problem(response, 403, "insufficient_role")


async def test_chain_verifies_and_detects_tampering(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    for role in ("member", "viewer"):
        await join(client, owner, org, role)
    url = f"/v1/orgs/{org}/audit-events/verify"
    result = (await client.get(url, headers=owner.headers)).json()
    assert result["valid"] is True
    assert result["entries"] == 8  # created, signed up; each join: invited, added, accepted
    events = (await client.get(f"/v1/orgs/{org}/audit-events", headers=owner.headers)).json()[
        "items"
    ]
    org_chain = (
        await connection.execute(
            select(AuditEvent.chain_id).where(
                AuditEvent.event_id == uuid.UUID(events[0]["event_id"])
            )
        )
    ).scalar_one()
    await connection.execute(
        update(AuditEvent)
        .where(AuditEvent.chain_id == org_chain, AuditEvent.seq == 2)
        .values(data={"forged": True})
    )
    altered = (await client.get(url, headers=owner.headers)).json()
    assert altered == altered | {
        "valid": False,
        "first_invalid_seq": 2,
        "reason": "the entry was altered",
    }
    await connection.execute(
        delete(AuditEvent).where(AuditEvent.chain_id == org_chain, AuditEvent.seq == 2)
    )
    removed = (await client.get(url, headers=owner.headers)).json()
    assert removed["valid"] is False
    assert removed["reason"] == "entry 2 is missing"


async def test_truncation_is_detected(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    owner = await sign_up(client)
    org = owner.orgs[0]
    await join(client, owner, org, "member")
    events = (await client.get(f"/v1/orgs/{org}/audit-events", headers=owner.headers)).json()[
        "items"
    ]
    await connection.execute(
        delete(AuditEvent).where(AuditEvent.event_id == uuid.UUID(events[0]["event_id"]))
    )
    result = (await client.get(f"/v1/orgs/{org}/audit-events/verify", headers=owner.headers)).json()
    assert result["valid"] is False
    assert result["reason"] == "the chain was cut after its last entry"


async def test_refused_logins_and_token_reuse_are_recorded(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    owner = await sign_up(client)
    await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": owner.email, "password": "wrong"},
    )
    await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "ghost@example.com", "password": "wrong"},
    )
    await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": owner.refresh_token}
    )
    await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": owner.refresh_token}
    )
    rows = (
        await connection.execute(
            select(AuditEvent.type, AuditEvent.data, AuditEvent.client_address)
            .where(AuditEvent.chain_id == GLOBAL_CHAIN)
            .order_by(AuditEvent.seq)
        )
    ).all()
    mine = [(t, d) for t, d, _ in rows if d.get("user_id") in (str(owner.user_id), None)]
    types = [t for t, _ in mine]
    assert "auth.login_failed" in types
    assert {"account_exists": False} in [d for t, d in mine if t == "auth.login_failed"]
    assert "ghost" not in str(rows)  # what was typed for an unknown account is not kept
    assert types[-1] == "auth.refresh_token_reused"
    assert all(address == "127.0.0.1" for *_, address in rows)
