"""The review page's forms without a browser: submit, open a thread, reply, resolve, give
a verdict on the revision on screen, withdraw; a refusal is the page again, in words."""

from __future__ import annotations

import re

import httpx

from tests.review.support import cast, edit_section, import_filled, ok, verdict
from tests.web.pages import Person


async def test_a_review_through_the_page_forms(client: httpx.AsyncClient, person: Person) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    page_url = f"/ui/orgs/{people.org}/documents/{key}/review"
    await person.sign_in(people.author.email)
    assert (await person.get(page_url)).status_code == 200
    submitted = await person.post(page_url + "/submission", {"message": "Please review."})
    assert submitted.status_code == 303, submitted.text[-1500:]
    assert submitted.headers["location"] == page_url
    opened = await person.post(
        page_url + "/comments", {"section": "7.1", "body": "Is DPoP needed?", "blocking": "on"}
    )
    assert opened.headers["location"] == page_url + "#threads"
    threads = ok(await client.get(people.doc(key, "/comments"), headers=people.author.headers))
    [thread] = threads["items"]
    assert thread["blocking"] is True
    replied = await person.post(page_url + f"/comments/{thread['id']}/replies", {"body": "Yes."})
    assert replied.headers["location"] == page_url + f"#t-{thread['id']}"
    resolved = await person.post(page_url + f"/comments/{thread['id']}", {"resolved": "true"})
    assert resolved.status_code == 303
    after = ok(
        await client.get(
            people.doc(key, f"/comments/{thread['id']}"), headers=people.author.headers
        )
    )
    assert after["resolved_at"] is not None
    assert [r["body"] for r in after["replies"]] == ["Yes."]

    # The author may not approve their own document: the page again, with the reason.
    page = await person.get(page_url)
    revision = re.search(r'name="revision" value="(\d+)"', page.text)
    assert revision is not None, page.text[-3000:]
    own = await person.post(
        page_url + "/verdict", {"verdict": "approve", "revision": revision.group(1)}
    )
    assert own.status_code == 403, own.text[-1500:]
    assert 'role="alert"' in own.text

    await person.sign_in(people.security.email)
    await person.get(page_url)  # the form's CSRF token is the new session's
    approved = await person.post(
        page_url + "/verdict", {"verdict": "approve", "revision": revision.group(1)}
    )
    assert approved.status_code == 303, re.findall(r"refusal.{0,600}", approved.text, re.S)
    assert approved.headers["location"] == page_url + "#verdicts"
    view = ok(await client.get(people.doc(key, "/approval"), headers=people.author.headers))
    assert (
        any(a["reviewer"]["email"] == people.security.email for a in view["approvals"])
        or (view["approvals"])
    )

    await person.sign_in(people.author.email)
    await person.get(page_url)
    withdrawn = await person.post(page_url + "/withdrawal")
    assert withdrawn.status_code == 303
    head = ok(await client.get(people.doc(key), headers=people.author.headers))
    assert head["status"] == "draft"


async def test_a_dismissed_approval_links_the_change_that_dismissed_it(
    client: httpx.AsyncClient, person: Person
) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    ok(
        await client.post(people.doc(key, "/submission"), json={}, headers=people.author.headers),
        201,
    )
    approved = ok(await verdict(client, people, people.security, key, "approve"), 201)
    edited = await edit_section(client, people, key, "7.2", "\nRoles are checked per request.\n")
    assert edited is not None
    await person.sign_in(people.author.email)
    page = (await person.get(f"/ui/orgs/{people.org}/documents/{key}/review")).text
    now = ok(await client.get(people.doc(key), headers=people.author.headers))["revision"]
    link = f'/diff?from={approved["revision"]}&amp;to={now}">The change that dismissed it</a>'
    assert link in page, re.findall(r"Dismissed approvals.{0,800}", page, re.S)
