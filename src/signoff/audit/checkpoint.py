"""Chain heads kept outside the database (ADR 0016), and the whole-log verification of
``signoff audit verify``.

The chains find an entry altered, removed or moved; the head row (``audit_chain``) finds a
tail cut off, unless whoever cut it rewrote the head too, which anyone who can write the
database can. A checkpoint is each chain's head (its last sequence number and hash) written
to a file on a schedule, one JSON line per chain, signed with a key derived from the server
secret: a database rolled back or cut after a checkpoint no longer holds the entry the
checkpoint names, and the line cannot be forged without the secret.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.audit.models import AuditChain, AuditEvent
from signoff.audit.service import verify_chain
from signoff.core.security import Signer

PURPOSE = "audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    chain_id: str
    seq: int
    hash: str
    taken_at: str

    def payload(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which chain, at which entry (None: the chain as a whole), why."""

    chain_id: str | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        if self.chain_id is None:
            return self.reason
        where = f"entry {self.seq}" if self.seq is not None else "its end"
        return f"chain {self.chain_id}: broken at {where}: {self.reason}"


async def take(session: AsyncSession, signer: Signer, path: Path, now: datetime) -> int:
    """Append every chain's head to ``path``, signed; the number of chains written."""
    heads = (await session.scalars(select(AuditChain).order_by(AuditChain.chain_id))).all()
    lines = []
    for head in heads:
        point = Checkpoint(str(head.chain_id), head.seq, head.last_hash, now.isoformat())
        lines.append(json.dumps(asdict(point) | {"sig": signer.sign(point.payload(), size=32)}))
    with path.open("a", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    return len(lines)


def read(path: Path, signer: Signer) -> tuple[list[Checkpoint], list[Finding]]:
    """The checkpoints of ``path`` whose signature holds; a finding for every other line."""
    found, wrong = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            fields = json.loads(line)
            sig = fields.pop("sig")
            point = Checkpoint(**fields)
            valid = signer.verify(point.payload(), sig, size=32)
        except (ValueError, TypeError, KeyError):
            valid, point = False, None
        if point is None or not valid:
            wrong.append(
                Finding(
                    None,
                    None,
                    f"{path.name} line {number} is not a checkpoint signed by this server",
                )
            )
        else:
            found.append(point)
    return found, wrong


async def verify_all(
    session: AsyncSession, checkpoints: list[Checkpoint]
) -> tuple[int, list[Finding]]:
    """Every chain from its first entry, then every checkpoint against what the database
    holds; the number of chains and what is wrong."""
    chains = set((await session.scalars(select(AuditChain.chain_id))).all())
    chains |= set((await session.scalars(select(AuditEvent.chain_id).distinct())).all())
    chains |= {uuid.UUID(c.chain_id) for c in checkpoints}
    findings = []
    for chain in sorted(chains):
        result = await verify_chain(session, chain)
        if not result.valid:
            findings.append(Finding(str(chain), result.first_invalid_seq, result.reason or ""))
    for point in checkpoints:
        chain = uuid.UUID(point.chain_id)
        held = await session.scalar(
            select(AuditEvent.hash).where(AuditEvent.chain_id == chain, AuditEvent.seq == point.seq)
        )
        if held == point.hash:
            continue
        if held is None and point.seq > 0:
            last = await session.scalar(
                select(func.max(AuditEvent.seq)).where(AuditEvent.chain_id == chain)
            )
            findings.append(
                Finding(
                    point.chain_id,
                    point.seq,
                    f"the chain was cut: the checkpoint of {point.taken_at} holds entry "
                    f"{point.seq}, the database's chain ends at entry {last or 0}",
                )
            )
        elif held is not None:
            findings.append(
                Finding(
                    point.chain_id,
                    point.seq,
                    f"the entry differs from the checkpoint of {point.taken_at}",
                )
            )
    return len(chains), findings
