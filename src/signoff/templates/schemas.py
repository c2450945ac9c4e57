"""Template representations: a summary, and the full section tree."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from signoff.docformat import BlockSpec, SectionSpec
from signoff.orgs.schemas import Slug
from signoff.templates.service import LoadedTemplate


class TableSpecRead(BaseModel):
    columns: list[str]


class BlockSpecRead(BaseModel):
    heading: str
    fields: list[str]
    tables: list[TableSpecRead]
    repeat_note: str | None


class SectionSpecRead(BaseModel):
    number: str | None
    key: str = Field(
        description="What a document section that matches it records as its "
        "`template_number`: the number, or the heading path (`/proposal/user-stories`) of "
        "an unnumbered section."
    )
    optional: bool = Field(description="Absent, it is no lint finding (`(Optional)`).")
    repeats: bool = Field(description="Documents may have it any number of times.")
    title: str
    level: int
    guidance: str
    tables: list[TableSpecRead]
    blocks: list[BlockSpecRead]
    diagram_note: str | None
    repeat_note: str | None
    children: list[SectionSpecRead]


class TemplateSummary(BaseModel):
    ref: str = Field(description="What documents record: `backend-server@1`, `org:api@3`.")
    source: Literal["builtin", "org"]
    slug: str
    version: int
    name: str
    created_at: datetime | None


class TemplateRead(TemplateSummary):
    title_pattern: str
    document_control: list[str] = Field(description="The Document Control fields.")
    sections: list[SectionSpecRead]
    markdown: str = Field(
        description="The template's Markdown, as registered: what `signoff lint --template "
        "org:<slug>` fetches once and keeps, to lint offline against this version."
    )


class _TemplateNaming(BaseModel):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)


_MAX_MARKDOWN = 512 * 1024


class TemplateCreate(_TemplateNaming):
    """A template from Markdown (the web UI's upload)."""

    markdown: str = Field(min_length=1, max_length=_MAX_MARKDOWN)


class TemplateRegister(_TemplateNaming):
    """A template from Markdown, or inferred from a document (`POST .../templates`)."""

    markdown: str | None = Field(
        default=None,
        min_length=1,
        max_length=_MAX_MARKDOWN,
        description="The template's Markdown; give this or `from_document`.",
    )
    from_document: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="A document's key (`DD-12`): the template is inferred from its head "
        "revision's outline (headings, tables and their columns, repeating sections).",
        examples=["DD-12"],
    )

    @model_validator(mode="after")
    def _one_source(self) -> TemplateRegister:
        if (self.markdown is None) == (self.from_document is None):
            raise ValueError("give exactly one of `markdown` and `from_document`")
        return self


def summary(t: LoadedTemplate) -> TemplateSummary:
    return TemplateSummary(
        ref=str(t.ref),
        source=t.ref.source,
        slug=t.ref.slug,
        version=t.ref.version,
        name=t.name,
        created_at=t.created_at,
    )


def _block(b: BlockSpec) -> BlockSpecRead:
    return BlockSpecRead(
        heading=b.heading,
        fields=list(b.fields),
        tables=[TableSpecRead(columns=list(t.columns)) for t in b.tables],
        repeat_note=b.repeat_note,
    )


def _section(s: SectionSpec) -> SectionSpecRead:
    return SectionSpecRead(
        number=s.number,
        key=s.key,
        optional=s.optional,
        repeats=s.repeats,
        title=s.title,
        level=s.level,
        guidance=s.guidance,
        tables=[TableSpecRead(columns=list(t.columns)) for t in s.tables],
        blocks=[_block(b) for b in s.blocks],
        diagram_note=s.diagram_note,
        repeat_note=s.repeat_note,
        children=[_section(c) for c in s.children],
    )


def full(t: LoadedTemplate) -> TemplateRead:
    return TemplateRead(
        **summary(t).model_dump(),
        title_pattern=t.parsed.title_pattern,
        document_control=[label for label, _ in t.parsed.document_control.fields],
        sections=[_section(s) for s in t.parsed.sections],
        markdown=t.markdown,
    )
