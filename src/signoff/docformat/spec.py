"""What a template says a document should contain: the section tree and its parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from signoff.docformat.model import YamlValue
from signoff.docformat.tables import Table

_PLACEHOLDER_OR_NUMBER = re.compile(r"(\[[^\]\n]*\]|\d+)")


@dataclass(frozen=True)
class BlockSpec:
    """A repeatable block: an unnumbered heading such as `#### Decision 1: [Title]`.

    `fields` are the bold labels inside it in order (`Context`, `Options Considered`, …, or
    an endpoint's `Purpose`, `Method and Path`, …, including nested ones such as `Headers`).
    `repeat_note` is the text of a following `*(Repeat for each …)*` line, if any.
    """

    heading: str
    level: int
    fields: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    repeat_note: str | None = None
    body: str = ""

    @cached_property
    def heading_pattern(self) -> re.Pattern[str]:
        """Matches document headings that instantiate this block.

        Bracketed placeholders match any text and numbers any number, so
        `Decision 1: [Title]` matches `Decision 4: Use PostgreSQL`.
        """
        parts = []
        for piece in _PLACEHOLDER_OR_NUMBER.split(self.heading):
            if piece.startswith("["):
                parts.append(".+")
            elif piece.isdigit():
                parts.append(r"\d+")
            elif piece:
                parts.append(_literal(piece))
        return re.compile("".join(parts), re.IGNORECASE)

    def matches(self, heading: str) -> bool:
        return self.heading_pattern.fullmatch(" ".join(heading.split())) is not None


def _literal(piece: str) -> str:
    core = r"\s+".join(re.escape(word) for word in piece.split())
    lead = r"\s*" if piece[:1].isspace() else ""
    trail = r"\s*" if piece[-1:].isspace() else ""
    return lead + core + trail


@dataclass(frozen=True)
class SectionSpec:
    """One template section: heading, guidance prose, tables, repeatable blocks, children.

    `body` is the template's Markdown under the heading, verbatim (the placeholder body of
    a new document). `guidance` is the prose directly under the heading (outside blocks,
    without the diagram and repeat notes). `diagram_note` is the text of a
    `**Supporting Diagram (optional):**` note in the section; `repeat_note` is a
    `*(Repeat for each …)*` line that follows no block: it is attached to the nearest
    enclosing section whose title is a `[placeholder]` (5.2 `[Component/Layer Name]` for
    the note at the end of 5.2.4), else to the section where it appears.

    `path` is the heading path (`/proposal/user-stories`, see `headings.PATH_RE`);
    `key` identifies the section in a document's `template_number`: its number when it
    has one, else its path. `optional`: an absent section is no gap (marked
    `(Optional)` in its heading or an ancestor's). `repeats`: an unnumbered section that
    documents instantiate any number of times (one per service, per endpoint): its title is
    a `[placeholder]` followed by a `*(Repeat for each …)*` note, or it is listed under
    `repeat:` in the template's front matter.
    """

    number: str | None
    title: str
    level: int
    guidance: str = ""
    tables: tuple[Table, ...] = ()
    blocks: tuple[BlockSpec, ...] = ()
    diagram_note: str | None = None
    repeat_note: str | None = None
    body: str = ""
    children: tuple[SectionSpec, ...] = ()
    path: str = ""
    optional: bool = False
    repeats: bool = False

    @property
    def key(self) -> str:
        return self.number if self.number is not None else self.path

    def walk(self) -> Iterator[SectionSpec]:
        yield self
        for child in self.children:
            yield from child.walk()

    def all_tables(self) -> tuple[Table, ...]:
        """The section's own tables and those inside its blocks."""
        return self.tables + tuple(t for block in self.blocks for t in block.tables)


@dataclass(frozen=True)
class DocumentControlSpec:
    """The template's Document Control table as (field label, template value) rows."""

    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Template:
    """A parsed template: title pattern, Document Control, the section tree."""

    title_pattern: str
    document_control: DocumentControlSpec
    sections: tuple[SectionSpec, ...]
    preamble: str = ""
    metadata: dict[str, YamlValue] = field(default_factory=dict, hash=False)

    def walk(self) -> Iterator[SectionSpec]:
        """Every section spec, depth first, in document order."""
        for section in self.sections:
            yield from section.walk()

    def get(self, key: str) -> SectionSpec | None:
        """The section spec with this number or heading path."""
        return next((s for s in self.walk() if s.key == key), None)

    @property
    def numbered(self) -> bool:
        """True when at least one section has a number (the seed's style)."""
        return any(s.number is not None for s in self.walk())

    @property
    def h1_sections(self) -> bool:
        """True when the template has no title heading and its sections are `#` headings:
        then a document's `#` headings are sections, and its title comes from elsewhere."""
        return not self.title_pattern and any(s.level == 1 for s in self.sections)

    def parents(self) -> dict[str, str | None]:
        """Key of each spec → key of its parent spec (None at the top)."""
        result: dict[str, str | None] = {}

        def visit(spec: SectionSpec, parent: str | None) -> None:
            result[spec.key] = parent
            for child in spec.children:
                visit(child, spec.key)

        for top in self.sections:
            visit(top, None)
        return result
