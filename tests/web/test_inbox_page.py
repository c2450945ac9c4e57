"""The inbox beyond reviews and drafts: threads that mention me, overdue questions I own,
and my approvals that were dismissed or expire soon. Each list shows what is mine and
nothing of anyone else's."""

from __future__ import annotations

import re

import httpx

from tests.review.support import (
    Cast,
    cast,
    edit_section,
    import_filled,
    ok,
    put_review_policy,
    verdict,
)
from tests.web.pages import Person


def local(email: str) -> str:
    return email.partition("@")[0]


async def submitted(client: httpx.AsyncClient, people: Cast) -> str:
    key = await import_filled(client, people)
    ok(await client.post(people.doc(key, "/submission"), headers=people.author.headers), 201)
    return key


async def comment(client: httpx.AsyncClient, people: Cast, key: str, body: str) -> str:
    created = ok(
        await client.post(
            people.doc(key, "/comments"),
            json={"section": "7.1", "body": body},
            headers=people.author.headers,
        ),
        201,
    )
    return str(created["id"])


async def inbox(person: Person, people: Cast, email: str) -> str:
    await person.sign_in(email)
    page = await person.get(f"/ui/orgs/{people.org}/inbox")
    assert page.status_code == 200, page.text[-2000:]
    return page.text


def section(page: str, heading: str) -> str:
    """The text of one inbox section (from its heading to the next)."""
    found = re.search(rf">{heading}</h2>(.*?)</section>", page, re.S)
    assert found is not None, page
    return found.group(1)


async def test_threads_that_mention_me(client: httpx.AsyncClient, person: Person) -> None:
    people = await cast(client)
    key = await submitted(client, people)
    sam, dee, author = people.security.email, people.dba.email, people.author.headers
    by_name = await comment(client, people, key, f"@{local(sam)} is this token rule right?")
    by_email = await comment(client, people, key, f"Ask @{sam.upper()}.")
    await comment(client, people, key, f"@{local(sam)}x is someone else; mail {sam} is no mention")
    in_reply = await comment(client, people, key, "A question for the security team.")
    ok(
        await client.post(
            people.doc(key, f"/comments/{in_reply}/replies"),
            json={"body": f"cc @{local(sam)}."},
            headers=people.author.headers,
        ),
        201,
    )
    resolved = await comment(client, people, key, f"@{local(sam)} done already")
    thread = await client.get(
        people.doc(key, f"/comments/{resolved}"), headers=people.author.headers
    )
    ok(
        await client.patch(
            people.doc(key, f"/comments/{resolved}"),
            json={"resolved": True},
            headers=people.author.headers | {"If-Match": thread.headers["etag"]},
        )
    )
    mentions = section(await inbox(person, people, sam), "Threads that mention you")
    found = set(re.findall(r"/review#t-([0-9a-f-]{36})", mentions))
    assert found == {by_name, by_email, in_reply}
    other = section(await inbox(person, people, people.dba.email), "Threads that mention you")
    assert "No open thread mentions you" in other

    # The index follows an edit of the thread's text: a mention taken out, one put in.
    for thread_id, body in ((by_name, "Is this token rule right?"), (in_reply, "@" + local(dee))):
        etag = (
            await client.get(people.doc(key, f"/comments/{thread_id}"), headers=author)
        ).headers["etag"]
        ok(
            await client.patch(
                people.doc(key, f"/comments/{thread_id}"),
                json={"body": body},
                headers=author | {"If-Match": etag},
            )
        )
    mentions = section(await inbox(person, people, sam), "Threads that mention you")
    # `in_reply` still mentions sam in its reply; `by_name` no longer does.
    assert set(re.findall(r"/review#t-([0-9a-f-]{36})", mentions)) == {by_email, in_reply}
    other = section(await inbox(person, people, dee), "Threads that mention you")
    assert set(re.findall(r"/review#t-([0-9a-f-]{36})", other)) == {in_reply}


async def test_my_dismissed_approval_and_an_approval_that_expires_soon(
    client: httpx.AsyncClient, person: Person
) -> None:
    people = await cast(client)
    await put_review_policy(client, people, {"required_approvals": 1, "approval_expiry_days": 7})
    key = await submitted(client, people)
    ok(await verdict(client, people, people.security, key, "approve"), 201)
    await edit_section(client, people, key, "7.1", "\nTokens are bound to the client.\n")
    approvals = section(await inbox(person, people, people.security.email), "Your approvals")
    assert f"/documents/{key}/review" in approvals
    assert "s-dismissed" in approvals
    assert "7.1" in approvals  # the reason names the changed section
    assert "None of your approvals" in section(
        await inbox(person, people, people.dba.email), "Your approvals"
    )

    ok(await verdict(client, people, people.security, key, "approve"), 201)
    assert "s-dismissed" not in section(
        await inbox(person, people, people.security.email), "Your approvals"
    )
    final = ok(await verdict(client, people, people.dba, key, "approve"), 201)
    assert final["document_status"] == "approved"
    for who in (people.security, people.dba):
        approvals = section(await inbox(person, people, who.email), "Your approvals")
        assert "approval expires" in approvals
        assert f'href="/ui/orgs/{people.org}/documents/{key}"' in approvals
    assert "None of your approvals" in section(
        await inbox(person, people, people.lead.email), "Your approvals"
    )


async def test_overdue_questions_i_own(client: httpx.AsyncClient, person: Person) -> None:
    people = await cast(client)
    key = await import_filled(client, people)
    questions = people.doc(key, "/questions")
    for question, owner, due in (
        ("Which region hosts the replica?", people.security.email.upper(), "2020-01-01"),
        ("Is the retention period legal?", people.security.email, "2999-01-01"),
        ("Who pays for the egress?", people.dba.email, "2020-01-01"),
    ):
        ok(
            await client.post(
                questions,
                json={"question": question, "owner": owner, "target_date": due},
                headers=people.author.headers,
            ),
            201,
        )
    mine = section(await inbox(person, people, people.security.email), "Overdue questions you own")
    assert "Which region hosts the replica?" in mine
    assert "2020-01-01" in mine
    assert f"/documents/{key}/registers/questions" in mine
    assert "retention" not in mine  # not due yet
    assert "egress" not in mine  # someone else's
