"""The current state of everything a trace link can point at, in one document.

Each end has a hash: what a link records when it is made or confirmed, and what marks it
suspect when it no longer matches.

- section: its content hash (title and body, formatting-insensitive);
- requirement: its id and summary (not its Design Section cell, which only says where it is
  addressed: changing that makes new links, it does not change the requirement);
- operation: the operation's content hash in the latest attached OpenAPI document
  (parameters, bodies, responses, security);
- test: its id and whether it passed in the latest attached report (a test that fails, or
  disappears because it was renamed, no longer proves anything).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.documents.reader import DocumentRef, SectionRef
from signoff.registers.kinds import section_refs
from signoff.registers.reader import RegisterReader
from signoff.traceability.models import ApiOperation, ApiSpec, TestResult, TestRun

Kind = Literal["requirement", "section", "operation", "test"]
ALLOWED = {
    ("requirement", "section"),
    ("requirement", "operation"),
    ("section", "operation"),
    ("operation", "test"),
    ("requirement", "test"),
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class End:
    kind: Kind
    ref: str
    label: str
    hash: str
    detail: dict[str, object] = field(default_factory=dict)


@dataclass
class Ends:
    sections: dict[str, End]
    numbers: dict[str, str]  # section number → section id
    requirements: dict[str, End]  # register item id → end
    operations: dict[str, End]
    tests: dict[str, End]
    spec: ApiSpec | None = None
    run: TestRun | None = None

    def get(self, kind: str, ref: str) -> End | None:
        table = {
            "section": self.sections,
            "requirement": self.requirements,
            "operation": self.operations,
            "test": self.tests,
        }.get(kind, {})
        return table.get(ref)

    def requirement_by_id(self, requirement_id: str) -> End | None:
        wanted = requirement_id.strip().lower()
        return next((e for e in self.requirements.values() if e.label.lower() == wanted), None)


async def load(
    session: AsyncSession, document: DocumentRef, sections: Sequence[SectionRef]
) -> Ends:
    ends = Ends(
        sections={
            s.section_id: End(
                "section",
                s.section_id,
                s.number or s.title,
                s.content_hash,
                {"number": s.number, "title": s.title},
            )
            for s in sections
        },
        numbers={s.number: s.section_id for s in sections if s.number},
        requirements={},
        operations={},
        tests={},
    )
    for item in await RegisterReader(session, document.org_id).rows(document.id, "requirements"):
        rid, summary = item.fields.get("requirement_id", ""), item.fields.get("summary", "")
        ends.requirements[str(item.id)] = End(
            "requirement",
            str(item.id),
            rid,
            _digest(rid.strip(), " ".join(summary.split())),
            {
                "summary": summary,
                "design_sections": section_refs(item.fields.get("design_sections", "")),
            },
        )
    await _load_spec(session, document.id, ends)
    await _load_run(session, document.id, ends)
    return ends


async def _load_spec(session: AsyncSession, document_id: uuid.UUID, ends: Ends) -> None:
    ends.spec = await session.scalar(
        select(ApiSpec)
        .where(ApiSpec.document_id == document_id)
        .order_by(ApiSpec.number.desc())
        .limit(1)
    )
    if ends.spec is None:
        return
    for op in await session.scalars(
        select(ApiOperation).where(ApiOperation.spec_id == ends.spec.id)
    ):
        ends.operations[op.operation_id] = End(
            "operation",
            op.operation_id,
            op.operation_id,
            op.content_hash,
            {
                "method": op.method,
                "path": op.path,
                "summary": op.summary,
                "requirements": op.requirements,
            },
        )


async def _load_run(session: AsyncSession, document_id: uuid.UUID, ends: Ends) -> None:
    ends.run = await session.scalar(
        select(TestRun)
        .where(TestRun.document_id == document_id)
        .order_by(TestRun.number.desc())
        .limit(1)
    )
    if ends.run is None:
        return
    for test in await session.scalars(select(TestResult).where(TestResult.run_id == ends.run.id)):
        passed = test.outcome == "passed"
        ends.tests[test.test_id] = End(
            "test",
            test.test_id,
            test.name,
            _digest(test.test_id, "pass" if passed else "fail"),
            {"outcome": test.outcome, "time_s": test.time_s, "requirements": test.requirements},
        )
