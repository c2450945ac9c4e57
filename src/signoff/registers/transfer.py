"""Registers in and out of the formats of other tools (codecs in ``signoff.exchange``).

Every import is all-or-nothing and has two steps: the preview says what would change
(added, changed, removed rows), the apply writes the whole register as one new revision.
A file with any finding changes nothing."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from signoff.core.cpu import CpuPool
from signoff.documents.reader import DocumentRef
from signoff.documents.service.documents import DocumentService
from signoff.exchange import Finding, ImportRejected, madr
from signoff.exchange import reqif as reqif_codec
from signoff.exchange.findings import refuse_if
from signoff.exchange.sheets import Sheet
from signoff.orgs.service import OrgAccess
from signoff.registers.codec import Row
from signoff.registers.kinds import (
    DECISIONS,
    KINDS,
    REQUIREMENTS,
    Kind,
    normalize_key,
    section_refs,
)
from signoff.registers.schemas import DecisionIn, RequirementIn, to_row
from signoff.registers.service import RegisterService

_NUMBERED = re.compile(r"^\s*§?\s*((?:\d+|[A-Z])(?:\.\d+)*)\.?\s+\S")


@dataclass
class Plan:
    """What an import does to a register: ids of rows added, changed, removed."""

    register: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False
    revision: int | None = None


@dataclass(frozen=True)
class Incoming:
    """One row of an import with where it came from (for findings)."""

    values: dict[str, Any]
    row: int | None = None
    path: str | None = None


def plan(kind: Kind, current: Sequence[Row], rows: Sequence[Row]) -> Plan:
    old = {normalize_key(r[kind.key]): r for r in current}
    new = {normalize_key(r[kind.key]): r for r in rows}
    out = Plan(kind.name)
    for key, row in new.items():
        if key not in old:
            out.added.append(row[kind.key])
        elif _filled(old[key]) != _filled(row):
            out.changed.append(row[kind.key])
        else:
            out.unchanged += 1
    out.removed = [r[kind.key] for k, r in old.items() if k not in new]
    return out


def _filled(row: Row) -> Row:
    # A table writes an empty cell for a field an import leaves out: the same row.
    return {k: v for k, v in row.items() if v}


def requirement_rows(incoming: Sequence[Incoming]) -> list[Row]:
    """Validated table rows, or every finding: bad values, duplicate ids, unknown parents."""
    findings: list[Finding] = []
    rows: list[tuple[Incoming, Row]] = []
    seen: set[str] = set()
    for item in incoming:
        try:
            typed = RequirementIn.model_validate(item.values)
        except ValidationError as exc:
            findings += [
                Finding(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                    code=e["type"],
                    row=item.row,
                    path=item.path,
                )
                for e in exc.errors()
            ]
            continue
        key = normalize_key(typed.requirement_id)
        if key in seen:
            findings.append(
                Finding(
                    f"{typed.requirement_id} twice",
                    code="duplicate_id",
                    row=item.row,
                    path=item.path,
                )
            )
        seen.add(key)
        rows.append((item, to_row(REQUIREMENTS, typed)))
    for item, row in rows:
        for parent in row.get("parents", "").split(","):
            if parent.strip() and normalize_key(parent) not in seen:
                findings.append(
                    Finding(
                        f"parent {parent.strip()} is not among the requirements",
                        code="unknown_reference",
                        row=item.row,
                        path=item.path,
                    )
                )
    refuse_if(findings, "The import is refused")
    return [row for _, row in rows]


class _HeadSection(Protocol):
    """What a sheet needs of a head section: where the template put it, and its number."""

    @property
    def template_number(self) -> str | None: ...
    @property
    def number(self) -> str | None: ...
    @property
    def title(self) -> str: ...


class TransferService:
    def __init__(
        self, registers: RegisterService, documents: DocumentService, cpu: CpuPool
    ) -> None:
        self._registers = registers
        self._documents = documents
        self._cpu = cpu

    async def _head(
        self, access: OrgAccess, ref: str
    ) -> tuple[DocumentRef, Sequence[_HeadSection]]:
        document = await self._documents.get(access, ref)
        _, sections = await self._documents.head(document)
        return document, sections

    async def export_madr(self, access: OrgAccess, ref: str) -> bytes:
        document = await self._documents.get(access, ref)
        rows = await self._registers.rows(access, ref, DECISIONS)
        own = re.compile(rf"^{re.escape(document.key)} Decision (\d+)$")

        def link(text: str) -> str:
            mine = own.match(text.strip())
            return f"#{mine.group(1)}" if mine else text.strip()

        return madr.export_madr(
            [
                madr.Record(
                    title=r.get("title", ""),
                    status=(r.get("status") or "proposed").lower(),
                    context=r.get("context", ""),
                    options=r.get("options", ""),
                    decision=r.get("decision", ""),
                    rationale=r.get("rationale", ""),
                    consequences=r.get("consequences", ""),
                    superseded_by=link(r.get("superseded_by", "")),
                )
                for r in rows
            ]
        )

    async def import_madr(self, access: OrgAccess, ref: str, data: bytes, *, apply: bool) -> Plan:
        """Replace §3.3's decisions with a folder's records, in their number order."""
        document = await self._documents.get(access, ref)
        findings: list[Finding] = []
        rows: list[Row] = []
        for number, record in enumerate(madr.import_madr(data), start=1):
            values = dataclasses.asdict(record)
            target = values.pop("superseded_by")
            if target.startswith("#"):
                target = f"{document.key} Decision {target[1:]}"
            try:
                typed = DecisionIn.model_validate(values | {"superseded_by": target or None})
            except ValidationError as exc:
                findings += [
                    Finding(
                        f"{'.'.join(map(str, e['loc']))}: {e['msg']}",
                        code=e["type"],
                        path=f"#{number}",
                    )
                    for e in exc.errors()
                ]
                continue
            rows.append(to_row(DECISIONS, typed) | {"number": str(number)})
        refuse_if(findings, "The decision folder is refused")
        return await self._replace(access, ref, DECISIONS, rows, apply=apply)

    async def _replace(
        self, access: OrgAccess, ref: str, kind: Kind, rows: list[Row], *, apply: bool
    ) -> Plan:
        current = await self._registers.rows(access, ref, kind)
        result = plan(kind, current, rows)
        if apply:
            await self._registers.replace(access, ref, kind, rows)
            document = await self._documents.get(access, ref)
            result.applied, result.revision = True, document.head_revision
        return result

    async def import_requirements(
        self, access: OrgAccess, ref: str, incoming: Sequence[Incoming], *, apply: bool
    ) -> Plan:
        return await self._replace(
            access, ref, REQUIREMENTS, requirement_rows(incoming), apply=apply
        )

    async def reqif_incoming(self, access: OrgAccess, ref: str, data: bytes) -> list[Incoming]:
        """The requirements of a ReqIF file as rows of this document: a requirement's
        design sections are its DESIGN_SECTIONS, else the document's section that its
        ReqIF chapter names (by number or by title)."""
        _, sections = await self._head(access, ref)
        # Reading ReqIF XML (schema objects, defusedxml) takes seconds for a large file: in
        # the CPU pool, like every heavy parse (ADR 0014), not on the event loop.
        requirements = await self._cpu.run(
            reqif_codec.import_reqif, data, size=len(data), what="reading the ReqIF file"
        )
        return [
            Incoming(
                {
                    "requirement_id": r.requirement_id,
                    "summary": r.statement,
                    "title": r.title,
                    "design_sections": list(r.design_sections)
                    or _chapter_section(r.chapter, sections),
                    "parents": list(r.parents),
                },
                path=f"SPEC-OBJECT[ReqIF.ForeignID='{r.requirement_id}']",
            )
            for r in requirements
        ]

    async def export_reqif(
        self,
        access: OrgAccess,
        ref: str,
        endpoints: Sequence[reqif_codec.Endpoint] = (),
        traced: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
    ) -> str:
        """The requirements as ReqIF; ``traced`` gives, by requirement id, the operations
        and the tests (among ``endpoints``) each is traced to (the traceability service
        knows them: it sits above the registers)."""
        traced = traced or {}
        document, sections = await self._head(access, ref)
        rows = await self._registers.rows(access, ref, REQUIREMENTS)
        revision, _ = await self._documents.head(document)
        return reqif_codec.export_reqif(
            document_key=document.key,
            title=document.title,
            chapters=[reqif_codec.Chapter(s.number or "", s.title) for s in sections if s.number],
            requirements=[
                reqif_codec.Requirement(
                    requirement_id=r["requirement_id"],
                    statement=r.get("summary", ""),
                    title=r.get("title", ""),
                    design_sections=tuple(section_refs(r.get("design_sections", ""))),
                    parents=tuple(p.strip() for p in r.get("parents", "").split(",") if p.strip()),
                    implemented_by=tuple(traced.get(r["requirement_id"], ((), ()))[0]),
                    verified_by=tuple(traced.get(r["requirement_id"], ((), ()))[1]),
                )
                for r in rows
            ],
            stamp=revision.created_at.isoformat(),
            endpoints=endpoints,
        )

    async def sheets(self, access: OrgAccess, ref: str, names: Sequence[str]) -> list[Sheet]:
        """Each register as a sheet: the document, version and section of every row first."""
        document, sections = await self._head(access, ref)
        out = []
        for name in names:
            kind = KINDS[name]
            place = await self._registers.places.section_of(document, kind)
            section = next((s for s in sections if place and s.template_number == place), None)
            rows = await self._registers.rows(access, ref, kind) if section else []
            columns = kind.columns
            where = (document.key, document.version, section.number or "" if section else "")
            out.append(
                Sheet(
                    name,
                    ("Document", "Version", "Section", *(c.header for c in columns)),
                    tuple((*where, *(r.get(c.field, "") for c in columns)) for r in rows),
                )
            )
        return out


def _chapter_section(chapter: str | None, sections: Sequence[_HeadSection]) -> list[str]:
    if not chapter:
        return []
    numbered = _NUMBERED.match(chapter)
    numbers = {s.number for s in sections if s.number}
    if numbered and numbered.group(1) in numbers:
        return [numbered.group(1)]
    wanted = " ".join(chapter.lower().split())
    hit = next(
        (s for s in sections if s.number and " ".join(s.title.lower().split()) == wanted), None
    )
    return [hit.number] if hit and hit.number else []


__all__ = ["ImportRejected", "Incoming", "Plan", "TransferService"]
