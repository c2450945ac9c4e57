"""Bodies of the traceability routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from signoff.traceability.ends import End
from signoff.traceability.matrix import Matrix
from signoff.traceability.models import TraceLink
from signoff.traceability.service import RunAttached, SpecAttached

EndKind = Literal["requirement", "section", "operation", "test"]


class OperationRead(BaseModel):
    operation_id: str
    method: str
    path: str
    summary: str


class SpecAttachedRead(BaseModel):
    number: int
    title: str
    version: str
    openapi: str
    operations: int
    added: list[str]
    removed: list[str]
    changed: list[str]
    suspected: int = Field(description="Links that became suspect with this attachment.")


class RunAttachedRead(BaseModel):
    number: int
    name: str
    flavour: str
    outcomes: dict[str, int]
    new_tests: list[str]
    missing_tests: list[str]
    suspected: int


class TraceLinkConfirm(BaseModel):
    note: str | None = Field(
        default=None, max_length=2000, description="Why the link still holds (kept with it)."
    )


class TraceLinkCreate(BaseModel):
    source_kind: Literal["requirement", "section", "operation"]
    source: str = Field(
        min_length=1, max_length=1000, description="`REQ-001`, `3.3`, an operationId…"
    )
    target_kind: Literal["section", "operation", "test"]
    target: str = Field(min_length=1, max_length=1000)


class TraceLinkRead(BaseModel):
    id: uuid.UUID
    source_kind: str
    source_ref: str
    target_kind: str
    target_ref: str
    origin: Literal["manual", "table", "spec", "report"]
    suspect: bool
    suspect_reason: str | None
    suspect_since: datetime | None
    confirmed_at: datetime | None
    confirmed_by: str | None
    confirmation_note: str | None
    created_at: datetime


class EndRead(BaseModel):
    kind: EndKind
    ref: str
    label: str
    detail: dict[str, Any]


class MatrixRowRead(BaseModel):
    requirement: EndRead
    sections: list[EndRead]
    operations: list[EndRead]
    tests: list[EndRead]
    passing_tests: int
    suspect_links: int


class CoverageRead(BaseModel):
    requirements: int
    with_section: int
    percent_with_section: float
    without_section: list[str]
    sections_referenced_missing: list[str]
    operations: int
    undocumented_operations: list[str] = Field(description="In the spec, not named in §4.3.")
    untested_requirements: list[str] = Field(
        description="No passing test, direct or via an operation."
    )
    percent_tested: float
    suspect_links: int
    links: int


class MatrixRead(BaseModel):
    rows: list[MatrixRowRead]
    coverage: CoverageRead


def spec_read(result: SpecAttached) -> SpecAttachedRead:
    s, d = result.spec, result.diff
    return SpecAttachedRead(
        number=s.number,
        title=s.title,
        version=s.api_version,
        openapi=s.openapi,
        operations=len(d.added) + len(d.changed) + len(d.unchanged),
        added=[o.operation_id for o in d.added],
        removed=[o.operation_id for o in d.removed],
        changed=[c.operation_id for c in d.changed],
        suspected=result.suspected,
    )


def run_read(result: RunAttached) -> RunAttachedRead:
    r = result.run
    return RunAttachedRead(
        number=r.number,
        name=r.name,
        flavour=r.flavour,
        outcomes=result.outcomes,
        new_tests=result.new_tests,
        missing_tests=result.missing_tests,
        suspected=result.suspected,
    )


def link_read(link: TraceLink) -> TraceLinkRead:
    return TraceLinkRead.model_validate(link, from_attributes=True)


def _end(end: End) -> EndRead:
    return EndRead(kind=end.kind, ref=end.ref, label=end.label, detail=dict(end.detail))


def matrix_read(matrix: Matrix) -> MatrixRead:
    c = matrix.coverage
    return MatrixRead(
        rows=[
            MatrixRowRead(
                requirement=_end(r.requirement),
                sections=[_end(e) for e in r.sections],
                operations=[_end(e) for e in r.operations],
                tests=[_end(e) for e in r.tests],
                passing_tests=len(r.passing_tests),
                suspect_links=r.suspect,
            )
            for r in matrix.rows
        ],
        coverage=CoverageRead(
            requirements=c.requirements,
            with_section=c.with_section,
            percent_with_section=c.percent_with_section,
            without_section=c.without_section,
            sections_referenced_missing=c.sections_referenced_missing,
            operations=c.operations,
            undocumented_operations=c.undocumented_operations,
            untested_requirements=c.untested_requirements,
            percent_tested=c.percent_tested,
            suspect_links=c.suspect_links,
            links=c.links,
        ),
    )
