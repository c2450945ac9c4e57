"""What every lint rule reads: the matched document, per-section tokens, placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from markdown_it.token import Token

from signoff.docformat.headings import title_key
from signoff.docformat.markdown import full_parser, plain_text
from signoff.docformat.matching import match_template
from signoff.docformat.model import DEFAULT_LIMITS, ParsedDocument, Section
from signoff.docformat.spec import SectionSpec, Template
from signoff.docformat.tables import Table, parse_tables

_GENERIC_PLACEHOLDERS = (
    r"\[[^\[\]\n]{0,60}?\b(?:Name|Title)\]",
    r"YYYY-MM-DD",
    r"\bREQ-X+\b",
    r"§\s?X(?:\.X)+",
)
_BRACKETED = re.compile(r"\[[^\[\]\n]{1,60}\]")
# Brackets a template uses that are content, not text to replace: GFM task-list boxes
# (a checklist is content) and labels such as [Optional] that mark a section or field.
_NOT_PLACEHOLDERS = re.compile(
    r"\[(?:\s|x|X|optional|required|recommended|mandatory|deprecated|experimental)\]",
    re.IGNORECASE,
)
_OPTION_LIST = re.compile(r"[^/|\s][^/|]*(?:/[^/|]+)+")
BLANKISH = frozenset({"", "-", "–", "—", "?", "tbd", "tbc", "todo", "n/a", "none"})


def is_blankish(text: str) -> bool:
    return " ".join(text.casefold().split()) in BLANKISH


@dataclass(frozen=True, slots=True)
class Issue:
    """A rule's raw result, before configuration gives it a severity."""

    section: Section | None
    message: str
    line: int | None = None


@dataclass(frozen=True)
class Placeholders:
    """Placeholder text a template uses, and how to find it in a document."""

    pattern: re.Pattern[str]
    options: frozenset[str]

    @classmethod
    def from_template(cls, template: Template) -> Placeholders:
        texts = [template.title_pattern, *(s.title for s in template.walk())]
        for spec in template.walk():
            texts.extend(text for text, _ in inline_texts(parse_body(spec.body)))
        literal = {
            m[0]
            for text in texts
            for m in _BRACKETED.finditer(text)
            if not _NOT_PLACEHOLDERS.fullmatch(m[0])
        }
        alternatives = [*map(re.escape, sorted(literal, key=len, reverse=True))]
        pattern = re.compile("|".join([*alternatives, *_GENERIC_PLACEHOLDERS]))
        cells = {v for spec in template.walk() for t in spec.all_tables() for v in _cells(t)}
        cells.update(value for _, value in template.document_control.fields)
        options = frozenset(title_key(c) for c in cells if _OPTION_LIST.fullmatch(c))
        return cls(pattern, options)

    def find(self, text: str) -> list[str]:
        return [m[0] for m in self.pattern.finditer(text)]

    def is_option_list(self, cell: str) -> bool:
        return title_key(cell) in self.options


def _cells(table: Table) -> Iterator[str]:
    return (cell for row in table.rows for cell in row if cell)


def parse_body(body: str) -> list[Token]:
    return full_parser(DEFAULT_LIMITS.max_nesting_depth).parse(body) if body else []


def inline_texts(tokens: Sequence[Token]) -> Iterator[tuple[str, int | None]]:
    """(readable text, 0-based line) of every inline token outside code."""
    for token in tokens:
        if token.type == "inline":
            yield plain_text(token), token.map[0] if token.map else None


@dataclass
class SectionView:
    """A document section with its parsed body and the template section it matched."""

    section: Section
    spec: SectionSpec | None
    has_children: bool
    tokens: list[Token] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = parse_body(self.section.body)

    def line(self, body_index: int | None) -> int | None:
        """1-based document line of a 0-based body line, when positions are known."""
        if body_index is None or self.section.body_line is None:
            return None
        return self.section.body_line + body_index

    def line_of(self, inline: Token, needle: str = "") -> int | None:
        """Document line of `needle` in an inline token (of its first line if not found)."""
        if inline.map is None:
            return None
        offset = max(inline.content.find(needle), 0) if needle else 0
        return self.line(inline.map[0] + inline.content.count("\n", 0, offset))

    @cached_property
    def tables(self) -> list[Table]:
        return parse_tables(self.section.body)


class LintContext:
    """The document matched to the template, parsed once for all rules."""

    def __init__(self, doc: ParsedDocument, template: Template, today: date) -> None:
        self.doc = match_template(doc, template)
        self.template = template
        self.today = today
        self.placeholders = Placeholders.from_template(template)
        self.numbers = self.doc.numbers()
        specs = {s.key: s for s in template.walk()}
        sections = self.doc.sections
        self.views = [
            SectionView(s, specs.get(s.template_number or ""), _has_children(sections, i))
            for i, s in enumerate(sections)
        ]

    def tables_with(self, *columns: str) -> Iterator[tuple[SectionView, Table, list[int]]]:
        """Every table (in any section) with all of `columns`, and their indices."""
        for view in self.views:
            for table in view.tables:
                found = [table.column(c) for c in columns]
                indices = [i for i in found if i is not None]
                if len(indices) == len(columns):
                    yield view, table, indices

    def row_line(self, view: SectionView, table: Table, row: int) -> int | None:
        return view.line(None if table.line is None else table.line - 1 + 2 + row)


def _has_children(sections: Sequence[Section], index: int) -> bool:
    following = sections[index + 1] if index + 1 < len(sections) else None
    return following is not None and following.level > sections[index].level
