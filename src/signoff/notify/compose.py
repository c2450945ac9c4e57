"""From an event to the notices it causes: who is told, and what.

- ``documents.submitted``: the requested reviewers (people, and members of requested teams)
  and the members of teams owning sections, except the document's authors.
- ``reviews.submitted``: the document's authors, except the reviewer.
- ``questions.overdue``: the member the question's owner names (``Directory.owner``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from signoff.core.events import OutboxEvent
from signoff.notify import messages
from signoff.notify.directory import Directory, Person
from signoff.notify.messages import Links, Notice

Composer = Callable[[Directory, Links, uuid.UUID, Mapping[str, Any]], Awaitable[list[Notice]]]


async def compose(directory: Directory, links: Links, event: OutboxEvent) -> list[Notice]:
    composer = COMPOSERS.get(event.type)
    if composer is None or event.org_id is None:
        return []
    return await composer(directory, links, event.org_id, event.data)


async def review_requested(
    directory: Directory, links: Links, org_id: uuid.UUID, data: Mapping[str, Any]
) -> list[Notice]:
    doc = await directory.document(org_id, data["key"])
    if doc is None:
        return []
    reviewers, owners = data["reviewers"], data["owners"]
    teams = await directory.team_members(org_id, {*reviewers["teams"], *owners})
    asked = {uuid.UUID(u) for u in reviewers["users"]}
    asked |= {u for slug in reviewers["teams"] for u in teams[slug]}
    owning = {u for slug in owners for u in teams[slug]}
    people = await directory.members(
        org_id, (asked | owning) - await directory.authors(org_id, doc.id)
    )
    link = links.approval(doc)
    return [
        messages.review_requested(
            doc,
            data,
            person,
            asked=person.user_id in asked,
            owned={t: n for t, n in owners.items() if person.user_id in teams[t]},
            link=link,
        )
        for person in _in_order(people)
    ]


async def verdict_arrived(
    directory: Directory, links: Links, org_id: uuid.UUID, data: Mapping[str, Any]
) -> list[Notice]:
    doc = await directory.document(org_id, data["key"])
    if doc is None:
        return []
    authors = await directory.authors(org_id, doc.id) - {uuid.UUID(data["reviewer_id"])}
    link = links.approval(doc)
    people = await directory.members(org_id, authors)
    return [messages.verdict_arrived(doc, data, p, link) for p in _in_order(people)]


async def question_overdue(
    directory: Directory, links: Links, org_id: uuid.UUID, data: Mapping[str, Any]
) -> list[Notice]:
    doc = await directory.document(org_id, data["document"])
    owner = await directory.owner(org_id, data.get("owner") or "")
    if doc is None or owner is None:
        return []
    link = links.question(doc, data["item_id"])
    return [messages.question_overdue(doc, data, owner, link)]


def _in_order(people: Mapping[uuid.UUID, Person]) -> list[Person]:
    return sorted(people.values(), key=lambda p: p.email)


COMPOSERS: dict[str, Composer] = {
    "documents.submitted": review_requested,
    "reviews.submitted": verdict_arrived,
    "questions.overdue": question_overdue,
}
