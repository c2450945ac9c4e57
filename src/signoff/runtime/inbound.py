"""Inbound requirement events from NATS, applied by the inbound service itself (not through
the HTTP route): each message in a transaction of its own, with the same signature check,
inbox, ordering and audit as the route; a refusal answers with its problem's status and code,
which the consumer turns into an ack, a termination or a redelivery."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.runtime import AccountsRuntime
from signoff.core.db import Transact
from signoff.core.errors import SignoffError
from signoff.core.events import EventRecorder
from signoff.core.services import Services
from signoff.documents.repository import DocumentRepository
from signoff.documents.runtime import DocumentsRuntime
from signoff.documents.service.documents import DocumentService
from signoff.documents.service.writer import RevisionWriter
from signoff.inbound.consumer import Handler, InboundConsumer
from signoff.inbound.service import Applied, InboundReceiver, inbound_box
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service import MemberService, TeamService
from signoff.registers.service import RegisterService
from signoff.templates.service import TemplateService


def inbound_consumer(services: Services) -> InboundConsumer:
    """The consumer of inbound events from NATS, in ``signoff serve`` and ``signoff worker``
    alike: each message applied in a transaction of its own, in a span of its own when the
    services trace."""
    from signoff.runtime.worker import Transactions

    handle = inbound_handler(services, Transactions(services.db))
    return InboundConsumer(services.settings.nats, handle, services.tracer_provider)


def inbound_handler(services: Services, transact: Transact) -> Handler:
    async def handle(org: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        async def apply(session: AsyncSession) -> Applied:
            return await receiver(services, session).receive(org, headers, body)

        try:
            applied = await transact(apply)
        except SignoffError as exc:
            return exc.status, exc.code
        return 200, applied.outcome

    return handle


def receiver(services: Services, session: AsyncSession) -> InboundReceiver:
    """The inbound service and what it uses, as the route's dependencies make them."""
    settings, clock, cursors = services.settings, services.clock, services.cursors
    events = EventRecorder(
        session,
        clock,
        listeners=services.event_listeners,
        on_commit=services.events_committed,
    )
    accounts = services.part(AccountsRuntime)
    users = accounts.users(session, events, clock)
    orgs = OrgRepository(session, cursors)
    repo = DocumentRepository(session, cursors)
    listeners = services.part(DocumentsRuntime).revision_listeners.factories
    documents = DocumentService(
        repo,
        RevisionWriter(repo, events, clock, listeners),
        TemplateService(session, events, clock),
        MemberService(orgs, users, events, clock),
        TeamService(orgs, events, clock),
        clock,
        settings.documents,
        services.cpu,
    )
    registers = RegisterService(session, documents, clock, cursors)
    box = inbound_box(settings.secret_key.get_secret_value())
    return InboundReceiver(session, box, documents, registers, events, clock)
