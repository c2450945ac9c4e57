"""Appending to the chain (as an event listener) and reading and verifying it."""

from __future__ import annotations

import hashlib
import json
import uuid
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.audit.models import GENESIS_HASH, GLOBAL_CHAIN, AuditChain, AuditEvent
from signoff.core.events import EventContext, OutboxEvent
from signoff.core.pagination import CursorCodec, PageRequest, keyset_page


def entry_hash(prev_hash: str, entry: AuditEvent) -> str:
    """The hash of one entry over its content and its predecessor's hash."""
    body = {
        "chain_id": str(entry.chain_id),
        "seq": entry.seq,
        "event_id": str(entry.event_id),
        "type": entry.type,
        "actor": entry.actor,
        "client_address": entry.client_address,
        "request_id": entry.request_id,
        "subject": entry.subject,
        "data": entry.data,
        "occurred_at": entry.occurred_at.isoformat(),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


# The chain heads each open transaction has locked: SELECT ... FOR UPDATE once per chain
# and transaction, not once per event (an import records dozens).
_LOCKED: weakref.WeakKeyDictionary[object, dict[object, AuditChain]] = weakref.WeakKeyDictionary()


async def append(session: AsyncSession, event: OutboxEvent, context: EventContext) -> None:
    """EventListener: every recorded event joins its organization's chain, in its transaction.

    Nothing is flushed here: the entries of a request go to the database together with its
    other changes (one batched INSERT per table), and the head's last value in one UPDATE."""
    chain_id = event.org_id or GLOBAL_CHAIN
    transaction = session.sync_session.get_transaction()
    head = _LOCKED.get(transaction, {}).get(chain_id) if transaction is not None else None
    if head is None:
        head = await session.get(AuditChain, chain_id, with_for_update=True)
        if head is None:
            head = AuditChain(chain_id=chain_id, seq=0, last_hash=GENESIS_HASH)
            session.add(head)
        transaction = session.sync_session.get_transaction()
        if transaction is not None:
            _LOCKED.setdefault(transaction, {})[chain_id] = head
    entry = AuditEvent(
        chain_id=chain_id,
        seq=head.seq + 1,
        event_id=event.id,
        type=event.type,
        actor=context.actor,
        client_address=context.client_address,
        request_id=context.request_id,
        subject=event.subject,
        data=event.data,
        occurred_at=event.occurred_at,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(head.last_hash, entry)
    head.seq, head.last_hash = entry.seq, entry.hash
    session.add(entry)


@dataclass(frozen=True)
class Verification:
    valid: bool
    entries: int
    first_invalid_seq: int | None
    reason: str | None
    head_hash: str


class AuditService:
    def __init__(self, session: AsyncSession, cursors: CursorCodec) -> None:
        self._session = session
        self._cursors = cursors

    async def list(
        self, org_id: uuid.UUID, page: PageRequest, type_prefix: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        stmt = select(AuditEvent).where(AuditEvent.chain_id == org_id)
        if type_prefix:
            stmt = stmt.where(AuditEvent.type.startswith(type_prefix, autoescape=True))
        rows, cursor = await keyset_page(
            self._session,
            stmt,
            [AuditEvent.seq],
            page,
            self._cursors,
            scope=f"audit:{org_id}:{type_prefix}",
            descending=True,
        )
        return [r[0] for r in rows], cursor

    async def verify(self, chain_id: uuid.UUID) -> Verification:
        return await verify_chain(self._session, chain_id)


async def verify_chain(session: AsyncSession, chain_id: uuid.UUID) -> Verification:
    """Recompute the chain from the first entry; report the first entry that breaks it."""
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    query = select(AuditEvent).where(AuditEvent.chain_id == chain_id).order_by(AuditEvent.seq)
    # Streamed: a long chain is checked in constant memory.
    async for entry in await session.stream_scalars(query.execution_options(yield_per=500)):
        problem = _check(entry, prev, expected_seq)
        if problem is not None:
            return Verification(False, count, entry.seq, problem, prev)
        prev, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    head = await session.get(AuditChain, chain_id)
    if head is not None and (head.seq != count or head.last_hash != prev):
        return Verification(False, count, None, "the chain was cut after its last entry", prev)
    return Verification(True, count, None, None, prev)


def _check(entry: AuditEvent, prev: str, expected_seq: int) -> str | None:
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing"
    if entry.prev_hash != prev:
        return "the link to the previous entry is broken"
    if entry.hash != entry_hash(prev, entry):
        return "the entry was altered"
    return None


async def position(
    session: AsyncSession, org_id: uuid.UUID, event_type: str, subject: str, revision: int
) -> AuditEvent | None:
    """The audit entry of an event about one revision (``data.revision``): its place in
    the organization's chain, for a sign-off sheet."""
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.chain_id == org_id,
            AuditEvent.type == event_type,
            AuditEvent.subject == subject,
        )
        .order_by(AuditEvent.seq.desc())
    )
    for entry in await session.scalars(query):
        if entry.data.get("revision") == revision:
            return entry
    return None
