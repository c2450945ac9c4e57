"""Request and response bodies of the document routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from signoff.docformat import LintConfig, LintReport
from signoff.documents.models import (
    KEY_PREFIX,
    Document,
    LintPolicy,
    Revision,
    SectionVersion,
    template_name,
)
from signoff.documents.rendering import status_of
from signoff.documents.service.reading import SearchResult, SectionChange, Snapshot

Status = Literal["draft", "in_review", "approved"]

# Revisions and versions as clients write them; nine digits each, so that every one is a
# number the database can hold (core.inputs).
VERSION_PATTERN = r"^\d{1,9}\.\d{1,9}$"
REF_PATTERN = r"^\d{1,9}(\.\d{1,9})?$"


class DocumentCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    template: str | None = Field(
        default=None, description="`backend-server` (default), or an org template `org:<slug>`."
    )


class ReviewerRef(BaseModel):
    """A member (`user_id`) or a team (`team`, its slug): exactly one of the two."""

    user_id: uuid.UUID | None = None
    team: str | None = Field(default=None, min_length=1, max_length=63)

    @model_validator(mode="after")
    def _one(self) -> ReviewerRef:
        if (self.user_id is None) == (self.team is None):
            raise ValueError("give exactly one of user_id and team")
        return self

    @property
    def target(self) -> uuid.UUID | str:
        return self.user_id if self.user_id is not None else str(self.team)


class DocumentPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    authors: list[uuid.UUID] | None = Field(default=None, max_length=50)
    reviewers: list[ReviewerRef] | None = Field(
        default=None,
        max_length=50,
        description="Who is asked to review: members and teams (replaces the list).",
    )


class SectionPut(BaseModel):
    body: str = Field(max_length=1024 * 1024, description="The section's Markdown.")


class PersonRead(BaseModel):
    id: uuid.UUID
    name: str
    email: str


class ReviewerRead(BaseModel):
    kind: Literal["user", "team"] = "user"
    id: uuid.UUID
    name: str
    email: str | None = Field(default=None, description="For a member.")
    slug: str | None = Field(default=None, description="For a team.")


class SectionSummary(BaseModel):
    id: str
    number: str | None
    title: str
    level: int
    template_number: str | None = Field(
        description="The template section it matches: its number, or its heading path "
        "(`/proposal/user-stories`) in a template without numbers (ADR 0022)."
    )
    content_hash: str


class SectionRead(SectionSummary):
    body: str


class DocumentControlRead(BaseModel):
    version: str
    status: str
    last_updated: datetime
    authors: list[PersonRead]
    reviewers: list[ReviewerRead]


class DocumentSummary(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    status: Status
    version: str
    revision: int
    approved_version: str | None = Field(
        default=None, description="The last approved version, readable with `?version=`."
    )
    approved_at: datetime | None = None
    template: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class DocumentRead(DocumentSummary):
    document_control: DocumentControlRead
    sections: list[SectionRead]
    summaries: dict[str, Any] = Field(
        default_factory=dict, description="E.g. `registers`: rows per register, open questions."
    )
    warnings: list[str] = Field(default_factory=list, description="What an import ignored.")


class RevisionRead(BaseModel):
    number: int
    version: str
    status: str
    title: str
    created_at: datetime
    created_by: str | None
    content_hash: str
    changes: list[dict[str, str]] = Field(
        description="`{section_id, change}`: added, changed, moved, removed."
    )


class RevisionDetail(RevisionRead):
    sections: list[SectionSummary]


class SectionDiffRead(BaseModel):
    section_id: str | None
    number: str | None
    title: str
    status: Literal["added", "removed", "changed", "renamed", "unchanged"]
    diff: str = Field(description="Unified diff of the body; empty when the body did not change.")


class RevisionRef(BaseModel):
    revision: int
    version: str


class DiffRead(BaseModel):
    from_: RevisionRef = Field(alias="from")
    to: RevisionRef
    sections: list[SectionDiffRead]

    model_config = {"populate_by_name": True}


class FindingRead(BaseModel):
    rule: str
    severity: Literal["error", "warning", "info"]
    section: str | None
    message: str
    line: int | None
    blocking: bool


class LintRead(BaseModel):
    score: int = Field(description="Completeness, 0-100.")
    sections_scored: int
    sections_complete: int
    findings: list[FindingRead]
    blocking: int = Field(description="Findings that would stop a submission for review.")


class LintPolicyPut(BaseModel):
    enabled: list[str] | None = Field(default=None, description="Rules to run; null: all.")
    disabled: list[str] = Field(default_factory=list)
    severities: dict[str, Literal["error", "warning", "info"]] = Field(default_factory=dict)
    blocking_severities: list[Literal["error", "warning", "info"]] = Field(default=["error"])


class LintPolicyRead(LintPolicyPut):
    rules: dict[str, str] = Field(description="Every rule id and its default severity.")


class SearchSectionRead(BaseModel):
    id: str
    number: str | None
    title: str


class SearchHitRead(BaseModel):
    document: DocumentSummary
    section: SearchSectionRead | None = Field(description="Null when the title matched.")
    snippet: str = Field(description="HTML: escaped text, matches in <mark>.")
    rank: float


def summary(document: Document) -> DocumentSummary:
    return DocumentSummary(**_summary_fields(document, document.key))


def row_summary(row: Any) -> DocumentSummary:
    """``summary`` of the document's Core row (the fast lane's list): the same fields, from
    columns the database already typed, so not validated again."""
    return DocumentSummary.model_construct(**_summary_fields(row, f"{KEY_PREFIX}{row.number}"))


def _summary_fields(document: Any, key: str) -> dict[str, Any]:
    return {
        "id": document.id,
        "key": key,
        "title": document.title,
        "status": document.status,
        "version": document.version,
        "revision": document.head_revision,
        "approved_version": f"{document.major}.0" if document.major else None,
        "approved_at": document.approved_at,
        "template": template_name(
            document.template_source, document.template_slug, document.template_version
        ),
        "created_at": document.created_at,
        "updated_at": document.updated_at,
        "archived_at": document.archived_at,
    }


def section_summary(s: SectionVersion) -> SectionSummary:
    return SectionSummary(
        id=s.section_id,
        number=s.number,
        title=s.title,
        level=s.level,
        template_number=s.template_number,
        content_hash=s.content_hash,
    )


def section_read(s: SectionVersion) -> SectionRead:
    return SectionRead(**section_summary(s).model_dump(), body=s.body)


def document_read(
    snap: Snapshot, warnings: list[str] | None = None, summaries: dict[str, Any] | None = None
) -> DocumentRead:
    status = status_of(snap.document, snap.revision)
    base = summary(snap.document).model_dump() | {
        "status": status,
        "version": snap.revision.version,
        "revision": snap.revision.number,
        "title": snap.revision.title,
    }
    control = DocumentControlRead(
        version=snap.revision.version,
        status=status,
        last_updated=snap.revision.created_at,
        authors=[PersonRead.model_validate(p) for p in snap.revision.authors],
        reviewers=[ReviewerRead.model_validate(p) for p in snap.revision.reviewers],
    )
    return DocumentRead(
        **base,
        document_control=control,
        sections=[section_read(s) for s in snap.sections],
        warnings=warnings or [],
        summaries=summaries or {},
    )


def revision_read(r: Revision) -> RevisionRead:
    return RevisionRead(
        number=r.number,
        version=r.version,
        status=r.status,
        title=r.title,
        created_at=r.created_at,
        created_by=r.created_by,
        content_hash=r.content_hash,
        changes=r.changes,
    )


def diff_read(before: Revision, after: Revision, changes: list[SectionChange]) -> DiffRead:
    return DiffRead(
        from_=RevisionRef(revision=before.number, version=before.version),
        to=RevisionRef(revision=after.number, version=after.version),
        sections=[
            SectionDiffRead(
                section_id=c.section_id,
                number=c.number,
                title=c.title,
                status=c.status.value,
                diff=c.diff,
            )
            for c in changes
        ],
    )


def lint_read(report: LintReport, config: LintConfig) -> LintRead:
    blocking = set(config.blocking(report))
    findings = [
        FindingRead(
            rule=f.rule,
            severity=f.severity.value,
            section=f.section,
            message=f.message,
            line=f.line,
            blocking=f in blocking,
        )
        for f in report.findings
    ]
    return LintRead(
        score=report.score,
        sections_scored=report.sections_scored,
        sections_complete=report.sections_complete,
        findings=findings,
        blocking=len(blocking),
    )


def policy_read(policy: LintPolicy | None, defaults: dict[str, str]) -> LintPolicyRead:
    if policy is None:
        return LintPolicyRead(rules=defaults)
    return LintPolicyRead(
        enabled=policy.enabled,
        disabled=policy.disabled,
        severities=policy.severities,
        blocking_severities=policy.blocking_severities,
        rules=defaults,
    )


def search_hit(result: SearchResult) -> SearchHitRead:
    hit = result.hit
    section = None
    if hit.section_id is not None:
        section = SearchSectionRead(id=hit.section_id, number=hit.number, title=hit.title)
    return SearchHitRead(
        document=summary(result.document), section=section, snippet=hit.snippet, rank=hit.rank
    )
