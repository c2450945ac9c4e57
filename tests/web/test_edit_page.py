"""The section editor beside the template's guidance for the section (ui.md, Edit)."""

from __future__ import annotations

import httpx

from tests.review.support import cast, import_filled
from tests.web.pages import Person


async def test_the_editor_shows_the_sections_guidance(
    client: httpx.AsyncClient, person: Person
) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    await person.sign_in(people.author.email)
    page = await person.get(f"/ui/orgs/{people.org}/documents/{key}/sections/7.1/edit")
    assert page.status_code == 200, page.text[-1000:]
    assert "The template’s guidance for this section" in page.text
    assert "Describe how clients authenticate with this server." in page.text
    other = await person.get(f"/ui/orgs/{people.org}/documents/{key}/sections/2.1/edit")
    assert "Describe how this backend server fits" in other.text
    assert "Describe how clients authenticate" not in other.text
