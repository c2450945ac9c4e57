"""Finding and registering templates. Parsed templates are immutable and cached."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.clock import Clock
from signoff.core.events import EventRecorder
from signoff.docformat import DocFormatError, Template, parse_template
from signoff.templates.errors import InvalidTemplate, TemplateNotFound
from signoff.templates.events import TemplateRegistered
from signoff.templates.models import OrgTemplate

BUILTIN_SLUG = "backend-server"
_BUILTIN_FILES = {BUILTIN_SLUG: ("Backend server design", "backend-server.md")}


@dataclass(frozen=True)
class TemplateRef:
    """Which template (and which version of it) a document was made from."""

    source: Literal["builtin", "org"]
    slug: str
    version: int

    def __str__(self) -> str:
        prefix = "" if self.source == "builtin" else "org:"
        return f"{prefix}{self.slug}@{self.version}"


@dataclass(frozen=True)
class LoadedTemplate:
    ref: TemplateRef
    name: str
    markdown: str
    parsed: Template
    created_at: datetime | None = None


@functools.cache
def builtin(slug: str) -> LoadedTemplate:
    if slug not in _BUILTIN_FILES:
        raise TemplateNotFound(f"No built-in template '{slug}'.")
    name, filename = _BUILTIN_FILES[slug]
    markdown = resources.files("signoff.templates").joinpath("builtin", filename).read_text("utf-8")
    return LoadedTemplate(TemplateRef("builtin", slug, 1), name, markdown, parse_template(markdown))


def builtins() -> list[LoadedTemplate]:
    return [builtin(slug) for slug in _BUILTIN_FILES]


@functools.lru_cache(maxsize=256)
def _parsed(markdown: str) -> Template:
    return parse_template(markdown)


class TemplateService:
    def __init__(self, session: AsyncSession, events: EventRecorder, clock: Clock) -> None:
        self._session = session
        self._events = events
        self._clock = clock

    async def org_templates(self, org_id: uuid.UUID) -> list[LoadedTemplate]:
        """The latest version of each of the organization's templates."""
        latest = (
            select(OrgTemplate.slug, func.max(OrgTemplate.version).label("version"))
            .where(OrgTemplate.org_id == org_id)
            .group_by(OrgTemplate.slug)
            .subquery()
        )
        rows = await self._session.scalars(
            select(OrgTemplate)
            .join(
                latest,
                (OrgTemplate.slug == latest.c.slug) & (OrgTemplate.version == latest.c.version),
            )
            .where(OrgTemplate.org_id == org_id)
            .order_by(OrgTemplate.slug)
        )
        return [_loaded(row) for row in rows]

    async def resolve(
        self, org_id: uuid.UUID, name: str | None, version: int | None = None
    ) -> LoadedTemplate:
        """A template by name: `org:<slug>`, a built-in slug, or an org slug; the default is
        the built-in backend-server template."""
        if name is None or name == BUILTIN_SLUG or name == f"{BUILTIN_SLUG}@1":
            return builtin(BUILTIN_SLUG)
        slug, _, pinned = name.removeprefix("org:").partition("@")
        if pinned.isdigit():
            version = int(pinned)
        if not name.startswith("org:") and slug in _BUILTIN_FILES:
            return builtin(slug)
        return await self.org_template(org_id, slug, version)

    async def org_template(
        self, org_id: uuid.UUID, slug: str, version: int | None = None
    ) -> LoadedTemplate:
        query = select(OrgTemplate).where(OrgTemplate.org_id == org_id, OrgTemplate.slug == slug)
        if version is not None:
            query = query.where(OrgTemplate.version == version)
        row = await self._session.scalar(query.order_by(OrgTemplate.version.desc()).limit(1))
        if row is None:
            raise TemplateNotFound(
                f"No template '{slug}'" + (f" version {version}." if version else ".")
            )
        return _loaded(row)

    async def register(
        self, org_id: uuid.UUID, slug: str, name: str, markdown: str, created_by: uuid.UUID | None
    ) -> LoadedTemplate:
        """Register a template, or a new version of it; the Markdown must parse."""
        try:
            parsed = _parsed(markdown)
        except DocFormatError as exc:
            raise InvalidTemplate(
                str(exc),
                errors=[
                    {"pointer": "/markdown", "detail": str(exc), "code": exc.code, "line": exc.line}
                ],
            ) from exc
        if not parsed.sections:
            raise InvalidTemplate(
                "A template needs at least one section heading (`## Summary` or `## 1. Summary`)."
            )
        current = await self._session.scalar(
            select(func.max(OrgTemplate.version)).where(
                OrgTemplate.org_id == org_id, OrgTemplate.slug == slug
            )
        )
        row = OrgTemplate(
            org_id=org_id,
            slug=slug,
            version=(current or 0) + 1,
            name=name,
            markdown=markdown,
            created_at=self._clock.now(),
            created_by=created_by,
        )
        self._session.add(row)
        await self._session.flush()
        await self._events.emit(
            TemplateRegistered(
                org_id=org_id, subject=f"templates/{slug}", slug=slug, version=row.version
            )
        )
        return _loaded(row)


def _loaded(row: OrgTemplate) -> LoadedTemplate:
    return LoadedTemplate(
        TemplateRef("org", row.slug, row.version),
        row.name,
        row.markdown,
        _parsed(row.markdown),
        row.created_at,
    )
