"""If-Match: 428 without it, 412 with a stale ETag, success with the current one."""

from __future__ import annotations

import uuid

import httpx
import pytest

from signoff.core.concurrency import etag_of, not_modified, require_if_match
from signoff.core.errors import PreconditionFailedError, PreconditionRequiredError
from tests.support.fixtures import assert_problem, token_for

pytestmark = pytest.mark.requirement("REQ-006")

USER = uuid.UUID("0190b1a0-0000-7000-8000-000000000001")


async def created(client: httpx.AsyncClient) -> tuple[str, str]:
    response = await client.post(
        "/probe/events", json={"type": "probe.done", "subject": "v1"}, headers=token_for(USER)
    )
    location = response.headers["location"]
    return location, (await client.get(location)).headers["etag"]


async def test_update_without_if_match_is_428(probe_client: httpx.AsyncClient) -> None:
    location, etag = await created(probe_client)
    response = await probe_client.put(location, json={"subject": "v2"})
    assert_problem(response, 428, "precondition_required")
    assert response.headers["etag"] == etag


async def test_stale_etag_is_412_and_nothing_changes(probe_client: httpx.AsyncClient) -> None:
    location, etag = await created(probe_client)
    first = await probe_client.put(location, json={"subject": "v2"}, headers={"If-Match": etag})
    assert first.status_code == 200
    new_etag = first.headers["etag"]
    assert new_etag != etag
    loser = await probe_client.put(location, json={"subject": "v3"}, headers={"If-Match": etag})
    body = assert_problem(loser, 412, "precondition_failed")
    assert loser.headers["etag"] == new_etag
    assert body["current_etag"] == new_etag
    assert (await probe_client.get(location)).json()["subject"] == "v2"


def test_if_match_forms() -> None:
    current = etag_of("a", 1)
    require_if_match(current, current)
    require_if_match(f'"other", {current}', current)
    require_if_match("*", current)
    with pytest.raises(PreconditionFailedError):
        require_if_match(f"W/{current}", current)  # weak tags never match an update
    with pytest.raises(PreconditionFailedError):
        require_if_match('"nope"', current)
    with pytest.raises(PreconditionRequiredError):
        require_if_match(None, current)


def test_if_none_match() -> None:
    current = etag_of("a")
    assert not_modified(current, current)
    assert not_modified(f"W/{current}", current)
    assert not not_modified('"x"', current)
    assert not not_modified(None, current)
    assert etag_of("a") != etag_of("b")
