"""Keyset pagination: complete, stable under inserts, tamper-proof, bound to its list."""

from __future__ import annotations

import uuid

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from signoff.core.errors import InvalidCursorError
from signoff.core.pagination import CursorCodec
from signoff.core.security import b64url, b64url_decode
from tests.support.fixtures import assert_problem, token_for

pytestmark = pytest.mark.requirement("REQ-007")

USER = uuid.UUID("0190b1a0-0000-7000-8000-000000000001")


async def make(client: httpx.AsyncClient, subject: str, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        response = await client.post(
            "/probe/events",
            json={"type": "probe.done", "subject": subject},
            headers=token_for(USER),
        )
        ids.append(response.json()["id"])
    return ids


async def walk(client: httpx.AsyncClient, url: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = (await client.get(url, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_pages_cover_everything_once(probe_client: httpx.AsyncClient) -> None:
    ids = await make(probe_client, "p1", 7)
    assert await walk(probe_client, "/probe/events?subject=p1&limit=3") == ids


async def test_last_page_has_no_cursor(probe_client: httpx.AsyncClient) -> None:
    await make(probe_client, "p2", 3)
    page = (await probe_client.get("/probe/events?subject=p2&limit=3")).json()
    assert len(page["items"]) == 3
    assert page["next_cursor"] is None


async def test_stable_under_inserts(probe_client: httpx.AsyncClient) -> None:
    first = await make(probe_client, "p3", 4)
    page = (await probe_client.get("/probe/events?subject=p3&limit=2")).json()
    later = await make(probe_client, "p3", 2)  # inserted between page requests
    rest = await probe_client.get(
        "/probe/events", params={"subject": "p3", "limit": 10, "cursor": page["next_cursor"]}
    )
    got = [i["id"] for i in page["items"]] + [i["id"] for i in rest.json()["items"]]
    assert got == first + later  # nothing skipped, nothing repeated


async def test_tampered_cursor_is_refused(probe_client: httpx.AsyncClient) -> None:
    await make(probe_client, "p4", 3)
    cursor = (await probe_client.get("/probe/events?subject=p4&limit=1")).json()["next_cursor"]
    payload, signature = cursor.split(".")
    forged = b64url(b'[{"u":"' + b"0" * 32 + b'"}]') + "." + signature
    for bad in (forged, payload + ".AAAA", "garbage", cursor + "x"):
        response = await probe_client.get("/probe/events", params={"subject": "p4", "cursor": bad})
        assert_problem(response, 400, "invalid_cursor")


async def test_cursor_is_bound_to_its_filters(probe_client: httpx.AsyncClient) -> None:
    await make(probe_client, "p5", 3)
    cursor = (await probe_client.get("/probe/events?subject=p5&limit=1")).json()["next_cursor"]
    response = await probe_client.get("/probe/events", params={"subject": "p6", "cursor": cursor})
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize("limit", ["0", "201", "x"])
async def test_limit_bounds(probe_client: httpx.AsyncClient, limit: str) -> None:
    response = await probe_client.get("/probe/events", params={"limit": limit})
    assert_problem(response, 422, "validation_failed")


@given(st.lists(st.one_of(st.integers(), st.text(), st.uuids(), st.none()), max_size=4))
def test_codec_round_trip(values: list[object]) -> None:
    codec = CursorCodec("k" * 40)
    assert codec.decode("scope", codec.encode("scope", values)) == values


def test_cursor_from_another_secret_is_refused() -> None:
    cursor = CursorCodec("a" * 40).encode("s", [1])
    with pytest.raises(InvalidCursorError):
        CursorCodec("b" * 40).decode("s", cursor)
    assert b64url_decode(b64url(b"\x00\xff")) == b"\x00\xff"
