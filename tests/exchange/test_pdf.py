"""The PDF of an approved version, read back with pypdf: the sign-off page names every
approver and carries the section hashes they pinned, the content hash and the audit entry."""

from __future__ import annotations

import io

import httpx
import pytest
from pypdf import PdfReader

from signoff.core.config import Settings
from tests.review.support import cast, import_filled, ok, set_reviewers, verdict
from tests.support.fixtures import assert_problem

pytestmark = pytest.mark.requirement("REQ-021")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # WeasyPrint lays out ~20 pages: on a shared, loaded machine that may pass the default
    # 30 s request timeout. This test is about what the PDF says, not how fast it comes.
    return settings.model_copy(
        update={"server": settings.server.model_copy(update={"request_timeout_s": 600})}
    )


def _text(pdf: bytes) -> str:
    # Hashes may wrap across lines in the table: compare without whitespace.
    return "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


async def test_an_approved_version_prints_with_its_signoff_page(
    client: httpx.AsyncClient,
) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    url = people.doc(key, "/exports/pdf")
    assert_problem(await client.get(url, headers=people.author.headers), 409, "not_approved")
    await set_reviewers(client, people, key, [{"user_id": str(people.lead.user_id)}])
    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    reviews = [
        ok(await verdict(client, people, who, key, "approve"), 201)
        for who in (people.dba, people.security, people.lead)
    ]
    assert reviews[-1]["document_version"] == "1.0"

    response = await client.get(url, headers=people.viewer.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = _text(response.content)
    for review in reviews:
        for section in review["sections"]:
            assert section["hash"] in text
    for who in (people.dba, people.security, people.lead):
        assert people.name(who) in text
    assert "security" in text  # the approver's team
    audit = ok(
        await client.get(
            people.url("/audit-events?type=documents.approved"), headers=people.author.headers
        )
    )["items"][-1]
    assert audit["data"]["content_hash"] in text
    assert f"entry{audit['seq']}" in text
    assert audit["hash"] in text
    assert "ParcelTracking" in text  # the rendered document itself
    assert_problem(
        await client.get(f"{url}?version=2.0", headers=people.author.headers), 409, "not_approved"
    )
