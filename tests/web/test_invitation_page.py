"""Accepting an invitation in the browser: the token an admin passed on, pasted by the
invited person signed in; a wrong token is refused beside the field."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.support.identity import sign_up
from tests.web.pages import Person


async def test_an_invited_person_joins_through_the_page(
    client: httpx.AsyncClient, person: Person, app: FastAPI
) -> None:
    ada, bob = await sign_up(client), await sign_up(client)
    org = ada.orgs[0]
    await person.sign_in(ada.email)
    await person.get(f"/ui/orgs/{org}/settings/members")
    invited = await person.post(
        f"/ui/orgs/{org}/settings/members", {"email": bob.email, "role": "member"}
    )
    assert invited.status_code == 201, invited.text[-1500:]
    token = re.search(r'<code class="secret">([^<]+)</code>', invited.text)
    assert token is not None

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as other:
        signed_out = await other.get("/ui/invitations/accept")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/ui/sign-in?next=/ui/invitations/accept"
        bob_at = Person(other)
        await bob_at.sign_in(bob.email)
        page = await bob_at.get("/ui/invitations/accept")
        assert bob.email in page.text
        wrong = await bob_at.post("/ui/invitations/accept", {"token": "not-the-token"})
        assert wrong.status_code == 404
        assert 'class="field invalid"' in wrong.text
        joined = await bob_at.post("/ui/invitations/accept", {"token": token.group(1)})
        assert joined.status_code == 303, joined.text[-1500:]
        assert joined.headers["location"] == f"/ui/orgs/{org}/inbox"
        assert (await bob_at.get(f"/ui/orgs/{org}/inbox")).status_code == 200
