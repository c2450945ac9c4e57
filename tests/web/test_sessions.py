"""Browser sessions and CSRF, without a browser: the cookie's attributes, rotation at
sign-in (no fixation), sign-out and revocation, the idle and absolute timeouts, and every
POST refused without the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from signoff.app import create_app
from signoff.core.clock import FrozenClock
from signoff.core.config import Settings, WebSettings
from signoff.core.db import Database
from tests.support.identity import sign_up
from tests.web.pages import Person

COOKIE = "signoff_session"


def _set_cookie(response: httpx.Response) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith(COOKIE))


async def test_cookie_is_httponly_lax_and_secure(client: httpx.AsyncClient, person: Person) -> None:
    ann = await sign_up(client)
    cookie = _set_cookie(await person.sign_in(ann.email))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie  # the test environment is not development


async def test_sign_in_rotates_the_session(client: httpx.AsyncClient, person: Person) -> None:
    """A session id planted before sign-in is never the one signed in (fixation), and the
    session a browser had before signing in again ends."""
    ann = await sign_up(client)
    person.client.cookies.set(COOKIE, "planted-by-an-attacker", domain="signoff.test")
    await person.sign_in(ann.email)
    first = person.client.cookies[COOKIE]
    assert first != "planted-by-an-attacker"
    await person.sign_in(ann.email)
    second = person.client.cookies[COOKIE]
    assert second != first
    client.cookies.set(COOKIE, first)
    page = await client.get(f"/ui/orgs/{ann.orgs[0]}/inbox")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/sign-in")


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, person: Person) -> None:
    ann = await sign_up(client)
    await person.sign_in(ann.email)
    token = person.client.cookies[COOKIE]
    inbox = f"/ui/orgs/{ann.orgs[0]}/inbox"
    assert (await person.get(inbox)).status_code == 200
    out = await person.post("/ui/sign-out")
    assert out.status_code == 303
    client.cookies.set(COOKIE, token)
    replayed = await client.get(inbox)
    assert replayed.status_code == 303  # the copied cookie signs nobody in


async def test_a_wrong_password_and_an_unknown_email_read_the_same(
    client: httpx.AsyncClient, person: Person
) -> None:
    ann = await sign_up(client)
    await person.get("/ui/sign-in")
    wrong = await person.post("/ui/sign-in", {"email": ann.email, "password": "nope"})
    unknown = await person.post("/ui/sign-in", {"email": "no@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert "The email or password is not correct" in wrong.text
    assert "The email or password is not correct" in unknown.text
    assert COOKIE not in person.client.cookies


@pytest.mark.parametrize("path", ["/ui/sign-in", "/ui/sign-out"])
async def test_a_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, person: Person, path: str
) -> None:
    ann = await sign_up(client)
    await person.sign_in(ann.email)
    refused = await person.client.post(path, data={"email": ann.email, "password": "x"})
    assert refused.status_code == 403
    assert "The form is out of date" in refused.text
    assert "application/problem+json" not in refused.headers["content-type"]
    forged = await person.client.post(path, data={"csrf_token": "0" * 64})
    assert forged.status_code == 403


async def test_a_post_from_another_origin_is_refused(
    client: httpx.AsyncClient, person: Person
) -> None:
    ann = await sign_up(client)
    await person.sign_in(ann.email)
    await person.get(f"/ui/orgs/{ann.orgs[0]}/inbox")
    refused = await person.post("/ui/sign-out", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403


async def test_another_organizations_page_is_404(client: httpx.AsyncClient, person: Person) -> None:
    ann, bob = await sign_up(client), await sign_up(client)
    doc = await client.post(
        f"/v1/orgs/{bob.orgs[0]}/documents", json={"title": "Secret"}, headers=bob.headers
    )
    await person.sign_in(ann.email)
    for path in (
        f"/ui/orgs/{bob.orgs[0]}/inbox",
        f"/ui/orgs/{bob.orgs[0]}/documents",
        f"/ui/orgs/{bob.orgs[0]}/documents/{doc.json()['key']}",
        "/ui/orgs/no-such-org/documents",
    ):
        page = await person.get(path)
        assert page.status_code == 404, path
        assert "Secret" not in page.text


async def test_signed_out_pages_lead_to_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/ui/orgs/acme/documents?status=draft")
    assert page.status_code == 303
    assert (
        page.headers["location"]
        == "/ui/sign-in?next=%2Fui%2Forgs%2Facme%2Fdocuments%3Fstatus%3Ddraft"
    )


@pytest.fixture
def clock() -> FrozenClock:
    # Now: the API's tokens used to sign up are checked against the real time as well.
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def timed_app(settings: Settings, db: Database, clock: FrozenClock) -> FastAPI:
    web = WebSettings(session_idle_s=600, session_absolute_s=3600)
    return create_app(settings.model_copy(update={"web": web}), database=db, clock=clock)


async def test_sessions_expire_when_idle_and_at_the_absolute_limit(
    timed_app: FastAPI, clock: FrozenClock
) -> None:
    transport = httpx.ASGITransport(app=timed_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://signoff.test") as c:
        ann = await sign_up(c)
        person = Person(c)
        inbox = f"/ui/orgs/{ann.orgs[0]}/inbox"
        await person.sign_in(ann.email)
        # Busy: a page every 9 minutes keeps it alive past the idle limit...
        for _ in range(6):
            clock.advance(timedelta(minutes=9))
            assert (await person.get(inbox)).status_code == 200
        # ...but not past the absolute one (an hour after sign-in).
        clock.advance(timedelta(minutes=7))
        assert (await person.get(inbox)).status_code == 303
        await person.sign_in(ann.email)
        clock.advance(timedelta(minutes=11))  # idle too long
        assert (await person.get(inbox)).status_code == 303


async def test_an_unknown_document_is_a_404_page(client: httpx.AsyncClient, person: Person) -> None:
    ann = await sign_up(client)
    await person.sign_in(ann.email)
    page = await person.get(f"/ui/orgs/{ann.orgs[0]}/documents/DD-999")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
