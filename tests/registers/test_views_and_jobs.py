"""Organization-wide views of questions and risks, and the overdue job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from signoff.core.events import OutboxEvent
from signoff.registers.jobs import mark_overdue_questions
from tests.documents.conftest import docs_url
from tests.support.identity import Actor, join

pytestmark = pytest.mark.requirement("REQ-022")


async def doc(client: httpx.AsyncClient, owner: Actor, title: str) -> str:
    return str(
        (await client.post(docs_url(owner), json={"title": title}, headers=owner.headers)).json()[
            "key"
        ]
    )


async def add(
    client: httpx.AsyncClient, owner: Actor, key: str, register: str, body: dict[str, object]
) -> dict[str, object]:
    response = await client.post(
        docs_url(owner, f"/{key}/{register}"), json=body, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


async def test_questions_across_documents(client: httpx.AsyncClient, owner: Actor) -> None:
    member = await join(client, owner, owner.orgs[0], "member", name="mia")
    a, b = await doc(client, owner, "A"), await doc(client, owner, "B")
    past, future = date.today() - timedelta(days=3), date.today() + timedelta(days=10)
    await add(
        client,
        owner,
        a,
        "questions",
        {"question": "Overdue one", "owner": member.email, "target_date": past.isoformat()},
    )
    await add(
        client,
        owner,
        b,
        "questions",
        {"question": "Later", "owner": "Outside Person", "target_date": future.isoformat()},
    )
    await add(
        client,
        owner,
        b,
        "questions",
        {
            "question": "Done",
            "status": "resolved",
            "resolution": "Yes",
            "target_date": past.isoformat(),
        },
    )
    url = f"/v1/orgs/{owner.orgs[0]}/questions"
    everything = (await client.get(url, headers=owner.headers)).json()["items"]
    assert len(everything) == 3
    open_ = (await client.get(url, params={"status": "open"}, headers=owner.headers)).json()[
        "items"
    ]
    assert sorted(q["fields"]["question"] for q in open_) == ["Later", "Overdue one"]
    overdue = (
        await client.get(url, params={"overdue": "true", "status": "open"}, headers=owner.headers)
    ).json()["items"]
    assert [(q["fields"]["question"], q["overdue"], q["document"]) for q in overdue] == [
        ("Overdue one", True, a)
    ]
    mine = (await client.get(url, params={"owner": "me"}, headers=member.headers)).json()["items"]
    assert [q["fields"]["question"] for q in mine] == ["Overdue one"]
    outside = (
        await client.get(url, params={"owner": "outside person"}, headers=owner.headers)
    ).json()["items"]
    assert [q["fields"]["question"] for q in outside] == ["Later"]


async def test_risks_by_likelihood_times_impact(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await doc(client, owner, "Risky")
    for name, likelihood, impact in (
        ("small", "low", "low"),
        ("big", "high", "high"),
        ("mid", "medium", "high"),
    ):
        await add(
            client,
            owner,
            key,
            "risks",
            {"risk": name, "likelihood": likelihood, "impact": impact, "mitigation": "m"},
        )
    url = f"/v1/orgs/{owner.orgs[0]}/risks"
    first = (await client.get(url, params={"limit": 2}, headers=owner.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner.headers
        )
    ).json()
    order = [(r["fields"]["risk"], r["score"]) for r in first["items"] + rest["items"]]
    assert order == [("big", 9), ("mid", 6), ("small", 1)]


async def test_overdue_is_recorded_once_per_date(
    client: httpx.AsyncClient, owner: Actor, connection: AsyncConnection
) -> None:
    key = await doc(client, owner, "Q")
    item = await add(
        client,
        owner,
        key,
        "questions",
        {"question": "When?", "owner": "Ann", "target_date": "2026-12-01"},
    )
    # Other tests' committed documents may have overdue questions too: count this item's.
    async with AsyncSession(connection) as session:

        async def events() -> list[OutboxEvent]:
            await session.flush()
            found = await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "questions.overdue")
            )
            return [e for e in found if e.data["item_id"] == item["id"]]

        async def run(at: datetime) -> int:
            before = len(await events())
            await mark_overdue_questions(session, at)
            return len(await events()) - before

        assert await run(datetime(2026, 11, 30, tzinfo=UTC)) == 0  # not yet due
        assert await run(datetime(2026, 12, 2, tzinfo=UTC)) == 1
        assert await run(datetime(2026, 12, 3, tzinfo=UTC)) == 0  # once
        [event] = await events()
        assert event.data["owner"] == "Ann"
    url = docs_url(owner, f"/{key}/questions/{item['id']}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    moved = await client.patch(
        url, json={"target_date": "2026-12-10"}, headers=owner.headers | {"If-Match": etag}
    )
    assert moved.status_code == 200
    async with AsyncSession(connection) as session:
        assert await run(datetime(2026, 12, 11, tzinfo=UTC)) == 1  # passed anew
