"""Who is told what: reviewers when a review is requested (not the authors), authors when a
verdict arrives (not the reviewer), a question's owner when it is overdue."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI

from signoff.core.clock import FrozenClock
from signoff.core.db import Database
from signoff.delivery.outcome import Outcome
from tests.review.support import cast, ok, verdict
from tests.support.identity import PASSWORD, Actor, sign_in, unique
from tests.support.notices import deliver, notice_states, submitted
from tests.support.smtp import MailServer
from tests.support.webhooks import background, org_id, record_events, run_job

pytestmark = pytest.mark.requirement("REQ-026")


async def test_a_submitted_document_reaches_its_reviewers_and_not_its_authors(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mail: MailServer
) -> None:
    people, key = await submitted(mail_client)
    assert await deliver(mail_app) == [Outcome.SUCCEEDED] * 3
    # The lead (asked), security and dba (owning teams); not the author (in security, but
    # the author), not the viewer.
    assert mail.addressees() == sorted(a.email for a in (people.lead, people.security, people.dba))
    version = (await mail_client.get(people.doc(key), headers=people.author.headers)).json()[
        "version"
    ]
    approval = f"/v1/orgs/{people.org}/documents/{key}/approval"
    [lead] = mail.to(people.lead.email)
    assert lead.subject == f"Review requested: {key} Parcel Tracking API ({version})"
    assert f"Hello {people.name(people.lead)}," in lead.body
    assert "You are asked to review it." in lead.body
    assert "Your team" not in lead.body
    assert approval in lead.body
    [security] = mail.to(people.security.email)
    assert "You are asked" not in security.body
    assert "Your team security owns §7" in security.body
    assert "§6" not in security.body
    [dba] = mail.to(people.dba.email)
    assert "Your team dba owns §6" in dba.body
    message = lead.message
    assert message["From"] == "Signoff <signoff@signoff.test>"
    assert message["To"] == f"{people.name(people.lead)} <{people.lead.email}>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert str(message["X-Signoff-Event"]).startswith("documents.submitted; id=")
    assert str(message["Message-ID"]).endswith("@signoff.test>")
    assert await deliver(mail_app) == []  # nothing twice


async def test_a_verdict_reaches_the_authors_but_not_the_reviewer(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mail: MailServer
) -> None:
    people, key = await submitted(mail_client)
    authors = [str(people.author.user_id), str(people.lead.user_id)]
    etag = (await mail_client.get(people.doc(key), headers=people.author.headers)).headers["etag"]
    ok(
        await mail_client.patch(
            people.doc(key),
            json={"authors": authors},
            headers=people.author.headers | {"If-Match": etag},
        )
    )
    await deliver(mail_app)
    mail.received.clear()

    ok(await verdict(mail_client, people, people.dba, key, "approve"), 201)
    assert await deliver(mail_app) == [Outcome.SUCCEEDED] * 2
    assert mail.addressees() == sorted([people.author.email, people.lead.email])
    [to_author] = mail.to(people.author.email)
    dee = people.name(people.dba)
    assert to_author.subject.endswith(f"Parcel Tracking API: approved by {dee}")
    assert "The verdict covers §6" in to_author.body
    assert f"/v1/orgs/{people.org}/documents/{key}/approval" in to_author.body
    mail.received.clear()

    # The lead, an author, comments: the other author is told, the lead is not.
    ok(await verdict(mail_client, people, people.lead, key, "comment"), 201)
    assert await deliver(mail_app) == [Outcome.SUCCEEDED]
    [comment] = mail.received
    assert comment.to == people.author.email
    assert f"commented by {people.name(people.lead)}" in comment.subject


async def member_named(client: httpx.AsyncClient, owner: Actor, name: str) -> str:
    """A member with this display name (sign-up derives names from emails, which are unique)."""
    email = f"{unique('named')}@example.com"
    ok(
        await client.post(
            "/v1/auth/signup",
            json={
                "email": email,
                "password": PASSWORD,
                "name": name,
                "org_name": "Elsewhere",
                "org_slug": unique("org"),
            },
        ),
        202,
    )
    invited = ok(
        await client.post(
            f"/v1/orgs/{owner.orgs[0]}/invitations",
            json={"email": email, "role": "member"},
            headers=owner.headers,
        ),
        201,
    )
    token = (await sign_in(client, email))["access_token"]
    ok(
        await client.post(
            "/v1/invitations/accept",
            json={"token": invited["token"]},
            headers={"Authorization": f"Bearer {token}"},
        ),
        201,
    )
    return email


async def question(
    client: httpx.AsyncClient, owner: Actor, key: str, text: str, who: str, due: date
) -> str:
    created = ok(
        await client.post(
            f"/v1/orgs/{owner.orgs[0]}/documents/{key}/questions",
            json={"question": text, "owner": who, "target_date": due.isoformat()},
            headers=owner.headers,
        ),
        201,
    )
    return str(created["id"])


async def test_an_overdue_question_reaches_the_member_it_names(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mail: MailServer, db: Database
) -> None:
    people = await cast(mail_client)
    org, author = people.org, people.author
    for _ in range(2):
        await member_named(mail_client, author, "Tam Twin")
    key = ok(
        await mail_client.post(
            f"/v1/orgs/{org}/documents", json={"title": "Q"}, headers=author.headers
        ),
        201,
    )["key"]
    past = date.today() - timedelta(days=2)
    by_email = await question(
        mail_client, author, key, "Which queue?", people.dba.email.upper(), past
    )
    by_name = await question(
        mail_client, author, key, "Which region?", people.name(people.lead), past
    )
    await question(mail_client, author, key, "Who pays?", "Someone Outside", past)
    await question(mail_client, author, key, "Ambiguous?", "Tam Twin", past)
    await question(
        mail_client, author, key, "Later?", people.security.email, date.today() + timedelta(days=9)
    )

    assert await run_job(mail_app, "mark_overdue_questions") == 4
    assert await deliver(mail_app) == [Outcome.SUCCEEDED] * 2
    assert mail.addressees() == sorted([people.dba.email, people.lead.email])
    [to_dba] = mail.to(people.dba.email)
    assert to_dba.subject == f"Overdue question in {key} Q"
    assert "    Which queue?" in to_dba.body
    assert past.isoformat() in to_dba.body
    assert f"/v1/orgs/{org}/documents/{key}/questions/{by_email}" in to_dba.body
    [to_lead] = mail.to(people.lead.email)
    assert f"/questions/{by_name}" in to_lead.body
    # Nobody outside, nobody for a name two members share, nothing not yet due.
    assert set(await notice_states(db)) == {people.dba.email, people.lead.email}


async def test_an_event_of_another_shape_or_about_nothing_known_is_passed_over(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, db: Database, clock: FrozenClock
) -> None:
    people = await cast(mail_client)
    org = await org_id(mail_client, people.author)
    await record_events(
        db,
        clock,
        org,
        [
            ("documents.submitted", "documents/DD-1"),  # data without its keys
            ("questions.overdue", "documents/DD-1"),
        ],
    )
    done = await background(mail_app).relay.run_once()
    assert done.dispatched > 0  # the relay went on (webhooks are behind it too)
    assert await deliver(mail_app) == []
    assert await notice_states(db) == {}
