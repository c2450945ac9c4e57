"""The whole review, through the HTTP API."""

from __future__ import annotations

import httpx
import pytest

from tests.review.support import walk_a_review

pytestmark = pytest.mark.requirement("REQ-013")


async def test_a_realistic_review(client: httpx.AsyncClient) -> None:
    result = await walk_a_review(client)
    final = result["final"]
    assert final["status"] == "approved"
    assert final["last_approved"]["version"] == "2.0"
    signed = final["last_approved"]["approvals"]
    people = result["people"]
    assert {a["reviewer"] for a in signed} == people.names(people.dba, people.security, people.lead)
    assert all(s["hash"] for a in signed for s in a["sections"])
