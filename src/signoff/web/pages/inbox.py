"""My inbox: reviews waiting for me or my teams (oldest first, with their age), my drafts,
open threads that mention me, overdue open questions I own, and my approvals that were
dismissed or expire soon.

Built from the services the API has (documents by status, the approval view with what is
missing, teams and their members); what waits for me is what the approval view says is
missing from me or a team I am in: the same rule as ``GET .../approval``. Mentions and
approvals come from ``AttentionService``; questions from the organization's questions
register, owned by me when the owner column is my email or my name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.responses import Response

from signoff.core.pagination import PageRequest
from signoff.core.web import ClockDep
from signoff.documents.deps import Documents
from signoff.documents.filters import DocumentFilter
from signoff.documents.schemas import DocumentSummary, summary
from signoff.orgs.deps import TeamServiceDep
from signoff.registers.kinds import QUESTIONS
from signoff.registers.router import Registers
from signoff.registers.service import OrgItemFilter
from signoff.review.router import Attention, Reviews
from signoff.review.schemas import MissingRead, approval_read
from signoff.web.access import OrgReader
from signoff.web.render import html
from signoff.web.routing import web_router
from signoff.web.session import BrowserDep

router = web_router()
# An inbox shows the oldest reviews first; past this many it says "and more" (the
# documents page lists them all).
LIMIT = 50


@dataclass(frozen=True)
class Waiting:
    document: DocumentSummary
    since: datetime
    days: int
    asks: list[MissingRead]


def _asks_me(missing: list[MissingRead], me: uuid.UUID, my_teams: set[str]) -> list[MissingRead]:
    return [
        m
        for m in missing
        if (m.code == "team_approval_missing" and m.data.get("team") in my_teams)
        or (m.code == "reviewer_approval_missing" and m.data.get("user_id") == str(me))
    ]


@router.get("/ui/orgs/{org}/inbox")
async def inbox(
    request: Request,
    browser: BrowserDep,
    access: OrgReader,
    documents: Documents,
    reviews: Reviews,
    teams: TeamServiceDep,
    attention: Attention,
    registers: Registers,
    clock: ClockDep,
) -> Response:
    assert browser.active is not None  # org_page has refused anyone else
    me = browser.active.user_id
    email, name = browser.active.user_email, browser.active.user_name
    my_teams = await teams.slugs_of(access, me)
    in_review, more = await documents.page(
        access, PageRequest(LIMIT), DocumentFilter(status="in_review")
    )
    now = clock.now()
    waiting = []
    for document in in_review:
        view = approval_read(await reviews.approval_of(document))
        asks = _asks_me(view.missing, me, my_teams)
        if asks and view.round is not None:
            since = view.round.opened_at
            waiting.append(Waiting(summary(document), since, (now - since).days, asks))
    waiting.sort(key=lambda w: w.since)
    drafts, _ = await documents.page(
        access, PageRequest(LIMIT), DocumentFilter(status="draft", author=me)
    )
    overdue, _ = await registers.org_page(
        access, QUESTIONS, PageRequest(LIMIT), OrgItemFilter(overdue=True, owners=(email, name))
    )
    return html(
        request,
        "inbox/inbox.html",
        {
            "waiting": waiting,
            "more": more is not None,
            "drafts": [summary(d) for d in drafts],
            "teams": sorted(my_teams),
            "mentions": await attention.mentions(access, email),
            "questions": overdue,
            "dismissed": await attention.dismissed(access, me),
            "expiring": await attention.expiring(access, me),
            "now": now,
        },
    )
