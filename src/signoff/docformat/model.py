"""The parsed document: Document Control, sections with stable ids, and parsing limits.

All classes are frozen dataclasses compared structurally, so round-trip tests and callers
can use `==`. Source positions (`line`, `body_line`) are carried for lint messages but are
left out of equality: a re-rendered document is the same document on other lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from signoff.docformat.headings import NUMBER_RE, is_dotted, is_template_key

YamlValue: TypeAlias = "str | list[YamlValue] | dict[str, YamlValue]"

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
STANDARD_FIELDS = (
    "title",
    "key",
    "version",
    "revision",
    "status",
    "authors",
    "reviewers",
    "template",
    "last_updated",
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on untrusted input; exceeding one raises a `DocFormatError` subclass."""

    max_document_bytes: int = 2 * 1024 * 1024
    max_section_bytes: int = 512 * 1024
    max_sections: int = 1000
    max_nesting_depth: int = 16

    def __post_init__(self) -> None:
        # The Markdown parser recurses per nesting level: a deep limit would trade a
        # clean error for a RecursionError.
        if not 1 <= self.max_nesting_depth <= 100:
            raise ValueError("max_nesting_depth must be between 1 and 100")


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class DocumentControl:
    """Document Control values: front matter fields plus anything else in `extra`.

    Values are kept as text exactly as written (a version is `"1.10"`, not a float; a
    date may still be the `YYYY-MM-DD` placeholder): the server validates and derives them.
    """

    title: str = ""
    key: str | None = None
    version: str | None = None
    # The revision an export was made from: a push names it, so that a file pulled before
    # someone else's change cannot silently overwrite it (the server derives it).
    revision: str | None = None
    status: str | None = None
    authors: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    template: str | None = None
    last_updated: str | None = None
    extra: dict[str, YamlValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        clash = set(self.extra) & set(STANDARD_FIELDS)
        if clash:
            raise ValueError(f"extra must not repeat standard fields: {sorted(clash)}")


@dataclass(frozen=True, slots=True)
class Section:
    """One numbered (or extra, unnumbered) section of a document.

    `body` is the Markdown between the heading (and its stable-id comment) and the next
    section heading, without surrounding blank lines or a trailing `---` separator.
    `template_number` is the key of the template section this one matched (its number, or
    its heading path in an unnumbered template), or None for an extra one.
    """

    number: str | None
    title: str
    level: int
    body: str = ""
    id: str | None = None
    template_number: str | None = None
    line: int | None = field(default=None, compare=False)
    body_line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _check_section(self)

    @property
    def is_extra(self) -> bool:
        """True when the section matched no template section (after template matching)."""
        return self.template_number is None


def _check_section(section: Section) -> None:
    if not 1 <= section.level <= 6:
        raise ValueError("section level must be between 1 and 6")
    if "\n" in section.title or section.title != section.title.strip(" \t"):
        raise ValueError("section title must be one stripped line")
    if section.id is not None and not ID_RE.fullmatch(section.id):
        raise ValueError(f"invalid section id {section.id!r}")
    if section.number is not None and not NUMBER_RE.fullmatch(section.number):
        raise ValueError(f"invalid section number {section.number!r}")
    if section.template_number is not None and not is_template_key(section.template_number):
        raise ValueError(f"invalid template section {section.template_number!r}")
    # Deeper headings are only sections when dotted (`#### 5.2.1`); anything else there is
    # body text, so such a section could not be read back.
    if section.level >= 4 and not is_dotted(section.number):
        raise ValueError("a section at level 4 or deeper needs a dotted number")


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A design document: Document Control, free text before the first section, sections."""

    control: DocumentControl = field(default_factory=DocumentControl)
    sections: tuple[Section, ...] = ()
    preamble: str = ""

    def section(self, key: str) -> Section | None:
        """The section with stable id `key`, else the first one numbered `key`."""
        by_id = next((s for s in self.sections if s.id == key), None)
        return by_id or next((s for s in self.sections if s.number == key), None)

    def numbers(self) -> set[str]:
        return {s.number for s in self.sections if s.number is not None}

    def extra_sections(self) -> Iterator[Section]:
        """Sections that matched no template section."""
        return (s for s in self.sections if s.is_extra)
