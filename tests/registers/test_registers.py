"""Registers: CRUD through the API, and the table text as the one source of truth."""

from __future__ import annotations

import httpx
import pytest

from tests.documents.conftest import docs_url, import_md
from tests.support.fixtures import assert_problem
from tests.support.identity import Actor

pytestmark = pytest.mark.requirement("REQ-021")


async def new_doc(client: httpx.AsyncClient, owner: Actor) -> str:
    response = await client.post(docs_url(owner), json={"title": "Reg"}, headers=owner.headers)
    return str(response.json()["key"])


def reg(owner: Actor, key: str, register: str, suffix: str = "") -> str:
    return docs_url(owner, f"/{key}/{register}{suffix}")


async def markdown(client: httpx.AsyncClient, owner: Actor, key: str) -> str:
    return (
        await client.get(docs_url(owner, f"/{key}?format=markdown"), headers=owner.headers)
    ).text


async def test_import_fills_every_register(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    key = (await import_md(client, owner, filled)).json()["key"]
    counts = {}
    for register in (
        "requirements",
        "decisions",
        "performance-goals",
        "risks",
        "questions",
        "glossary",
        "references",
    ):
        items = (await client.get(reg(owner, key, register), headers=owner.headers)).json()["items"]
        counts[register] = len(items)
    assert counts == {
        "requirements": 12,
        "decisions": 3,
        "performance-goals": 5,
        "risks": 4,
        "questions": 3,
        "glossary": 5,
        "references": 3,
    }
    doc = (await client.get(docs_url(owner, f"/{key}"), headers=owner.headers)).json()
    assert doc["summaries"]["registers"]["rows"]["requirements"] == 12
    req = (await client.get(reg(owner, key, "requirements"), headers=owner.headers)).json()[
        "items"
    ][0]
    assert req["fields"]["requirement_id"] == req["text"]["requirement_id"] != ""
    assert all("." in n or n.isalnum() for n in req["fields"]["design_sections"])
    decision = (await client.get(reg(owner, key, "decisions"), headers=owner.headers)).json()[
        "items"
    ][0]
    assert {"title", "context", "options", "decision", "rationale", "consequences"} <= set(
        decision["fields"]
    )


async def test_export_and_reimport_changes_nothing(
    client: httpx.AsyncClient, owner: Actor, filled: str
) -> None:
    first = (await import_md(client, owner, filled)).json()["key"]
    again = (await import_md(client, owner, await markdown(client, owner, first))).json()["key"]
    for register in (
        "requirements",
        "decisions",
        "risks",
        "questions",
        "performance-goals",
        "glossary",
        "references",
    ):
        a = (await client.get(reg(owner, first, register), headers=owner.headers)).json()["items"]
        b = (await client.get(reg(owner, again, register), headers=owner.headers)).json()["items"]
        assert [i["text"] for i in a] == [i["text"] for i in b], register
        assert [i["content_hash"] for i in a] == [i["content_hash"] for i in b], register


async def test_crud_writes_the_table(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await new_doc(client, owner)
    created = await client.post(
        reg(owner, key, "risks"),
        headers=owner.headers,
        json={
            "risk": "Carrier API | rate limits",
            "likelihood": "high",
            "impact": "medium",
            "mitigation": "Back off and queue",
            "owner": "Maya",
        },
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["score"] == 6
    assert created.headers["location"].endswith(item["id"])
    text = await markdown(client, owner, key)
    assert "| Carrier API \\| rate limits | High | Medium | Back off and queue | Maya |" in text
    # The template's empty example row is gone, replaced by the real one.
    assert text.count("| Risk | Likelihood | Impact | Mitigation |") == 1
    patched = await client.patch(
        reg(owner, key, "risks", f"/{item['id']}"),
        json={"status": "closed"},
        headers=owner.headers | {"If-Match": created.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["id"] == item["id"]
    assert patched.json()["fields"]["status"] == "closed"
    stale = await client.patch(
        reg(owner, key, "risks", f"/{item['id']}"),
        json={"status": "open"},
        headers=owner.headers | {"If-Match": created.headers["etag"]},
    )
    assert_problem(stale, 412, "precondition_failed")
    deleted = await client.delete(
        reg(owner, key, "risks", f"/{item['id']}"),
        headers=owner.headers | {"If-Match": patched.headers["etag"]},
    )
    assert deleted.status_code == 204
    assert (await client.get(reg(owner, key, "risks"), headers=owner.headers)).json()["items"] == []
    revisions = (
        await client.get(docs_url(owner, f"/{key}/revisions"), headers=owner.headers)
    ).json()
    assert revisions["items"][0]["number"] == 4  # each write was a revision


async def test_editing_the_table_text_updates_the_register(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    key = await new_doc(client, owner)
    for term, meaning in (("Outbox", "Events table"), ("ETA", "Estimated time of arrival")):
        await client.post(
            reg(owner, key, "glossary"),
            json={"term": term, "definition": meaning},
            headers=owner.headers,
        )
    before = (await client.get(reg(owner, key, "glossary"), headers=owner.headers)).json()["items"]
    url = docs_url(owner, f"/{key}/sections/17")
    section = await client.get(url, headers=owner.headers)
    # Reorder the rows and reword one definition by editing the Markdown directly.
    body = (
        section.json()["body"]
        .replace("| Outbox | Events table |", "§")
        .replace("| ETA | Estimated time of arrival |", "| ETA | Expected arrival time |")
        .replace("§", "| Outbox | Events table |")
    )
    lines = body.split("\n")
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    body = "\n".join([line for line in lines if line not in rows] + rows[::-1])
    put = await client.put(
        url, json={"body": body}, headers=owner.headers | {"If-Match": section.headers["etag"]}
    )
    assert put.status_code == 200, put.text
    after = (await client.get(reg(owner, key, "glossary"), headers=owner.headers)).json()["items"]
    assert [(i["fields"]["term"], i["id"]) for i in after] == [
        ("ETA", before[1]["id"]),
        ("Outbox", before[0]["id"]),
    ]  # ids follow the rows
    assert after[0]["fields"]["definition"] == "Expected arrival time"


async def test_validation(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await new_doc(client, owner)
    cases = [
        ("risks", {"risk": "x", "likelihood": "huge", "impact": "low"}, "/likelihood"),
        ("performance-goals", {"metric": "p99", "target": "fast"}, "/target"),
        (
            "requirements",
            {"requirement_id": "REQ-1", "summary": "s", "design_sections": ["nope"]},
            "/design_sections",
        ),
        ("questions", {"question": "q", "target_date": "soon"}, "/target_date"),
        ("glossary", {"term": "t", "definition": "d", "extra": 1}, "/extra"),
    ]
    for register, body, pointer in cases:
        response = await client.post(reg(owner, key, register), json=body, headers=owner.headers)
        problem = assert_problem(response, 422, "validation_failed")
        errors = problem["errors"]
        assert isinstance(errors, list)
        assert pointer in [e["pointer"] for e in errors], (register, problem)
    # Only register names route to the registers: anything else is no resource at all.
    assert_problem(
        await client.get(reg(owner, key, "nonsense"), headers=owner.headers), 404, "not_found"
    )
    # A method a document's other sub-resource lacks is a 405 there, not a register error.
    wrong = await client.patch(docs_url(owner, f"/{key}/sections/3.3"), headers=owner.headers)
    assert_problem(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "GET, PUT"
    ok = await client.post(
        reg(owner, key, "requirements"),
        headers=owner.headers,
        json={"requirement_id": "REQ-001", "summary": "Track", "design_sections": ["§3.3", "8.2"]},
    )
    assert ok.json()["text"]["design_sections"] == "§3.3, §8.2"
    dup = await client.post(
        reg(owner, key, "requirements"),
        headers=owner.headers,
        json={"requirement_id": "req-001", "summary": "Again"},
    )
    assert_problem(dup, 409, "duplicate_register_key")


async def test_decisions_are_blocks_with_status(client: httpx.AsyncClient, owner: Actor) -> None:
    key = await new_doc(client, owner)
    other = await new_doc(client, owner)
    first = await client.post(
        reg(owner, key, "decisions"),
        headers=owner.headers,
        json={
            "title": "Use PostgreSQL",
            "context": "c",
            "options": "o",
            "decision": "d",
            "rationale": "r",
            "consequences": "q",
            "status": "accepted",
        },
    )
    assert first.status_code == 201, first.text
    text = await markdown(client, owner, key)
    assert "#### Decision 1: Use PostgreSQL" in text
    assert "- **Status:** Accepted" in text
    superseded = await client.patch(
        reg(owner, key, "decisions", f"/{first.json()['id']}"),
        json={"status": "superseded", "superseded_by": f"{other} Decision 1"},
        headers=owner.headers | {"If-Match": first.headers["etag"]},
    )
    assert superseded.json()["fields"]["superseded_by"] == f"{other} Decision 1"
    dangling = await client.post(
        reg(owner, key, "decisions"),
        headers=owner.headers,
        json={"title": "x", "superseded_by": "DD-999"},
    )
    assert_problem(dangling, 422, "validation_failed")
    second = await client.post(
        reg(owner, key, "decisions"), headers=owner.headers, json={"title": "Queue"}
    )
    assert "#### Decision 2: Queue" in await markdown(client, owner, key)
    assert second.json()["fields"]["status"] == "proposed"


@pytest.mark.parametrize("register", ["glossary", "references", "performance-goals"])
async def test_simple_registers_round_trip(
    client: httpx.AsyncClient, owner: Actor, register: str
) -> None:
    key = await new_doc(client, owner)
    body = {
        "glossary": {"term": "SLA", "definition": "Service level agreement"},
        "references": {"document": "RFC 9457", "version": "2023", "relevance": "Errors"},
        "performance-goals": {"metric": "p99 latency", "target": "< 250 ms", "measurement": "wrk"},
    }[register]
    created = await client.post(reg(owner, key, register), json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    listed = (await client.get(reg(owner, key, register), headers=owner.headers)).json()["items"]
    assert listed[-1]["id"] == created.json()["id"]
    if register == "performance-goals":
        # The template names four metrics with no targets yet: they are rows (lint flags them).
        assert [i["fields"]["metric"] for i in listed[:-1]] == [
            "Response time (p50)",
            "Response time (p99)",
            "Throughput",
            "Error rate",
        ]
        assert listed[-1]["fields"]["target_value"] == 250.0
        assert listed[-1]["fields"]["target_unit"] == "ms"
    else:
        assert len(listed) == 1
