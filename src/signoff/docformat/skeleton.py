"""Split Markdown into its document skeleton: title, Document Control, preamble, sections.

Shared by template and document parsing. Boundaries are top-level heading tokens:

* the first `#` heading before any section is the document title;
* the first unnumbered `## Document Control` before any section is Document Control, not
  a section (later ones are ordinary sections, so that text keeps its place);
* every other `#`, `##` and `###` heading, and every heading at `####` or deeper whose
  number is dotted (`#### 5.2.1 Responsibility`), starts a section;
* any other heading (`#### Decision 2: Use PostgreSQL`) is body text of its section.

A section's body runs to the next boundary. A `---` that ends a region right before a
section of level 1 or 2 is the separator the renderer writes there, so it is dropped.
Text outside sections (before the title, after it, around the Document Control table) is
kept, in order, as the preamble.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from signoff.docformat.errors import SectionTooLarge, TooManySections
from signoff.docformat.headings import (
    collapse_spaces,
    is_dotted,
    is_rendered_title,
    is_template_key,
    split_heading,
    title_key,
)
from signoff.docformat.markdown import (
    Block,
    block_parser,
    check_nesting,
    heading_level,
    top_level_blocks,
    trim_blank_lines,
)
from signoff.docformat.model import ID_RE, Limits
from signoff.docformat.tables import table_at

_CONTROL_TITLE = "document control"
_ID_COMMENT = re.compile(r"<!--[ \t]*signoff:section[ \t]+(?P<attrs>(?:(?!-->)[^\n])*?)[ \t]*-->")


class Kind(enum.Enum):
    TITLE = "title"
    CONTROL = "control"
    SECTION = "section"


@dataclass(frozen=True, slots=True)
class Boundary:
    """A heading that starts a region; `start`/`end` are its 0-based line range."""

    kind: Kind
    level: int
    content: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RawSection:
    """A section as found in the text; lines are 1-based in the whole input."""

    number: str | None
    title: str
    level: int
    body: str
    id: str | None
    template_ref: str | None
    line: int
    body_line: int


@dataclass(frozen=True, slots=True)
class Skeleton:
    title_heading: str | None
    control_rows: tuple[tuple[str, str], ...]
    preamble: str
    sections: tuple[RawSection, ...]


@dataclass(frozen=True, slots=True)
class _Source:
    lines: Sequence[str]
    blocks: Sequence[Block]
    starts: Sequence[int]
    offset: int
    limits: Limits

    def blocks_in(self, start: int, end: int) -> Sequence[Block]:
        low = bisect.bisect_left(self.starts, start)
        return self.blocks[low : bisect.bisect_left(self.starts, end)]

    def text(self, start: int, end: int) -> str:
        return "\n".join(trim_blank_lines(self.lines[start:end]))


def read_skeleton(
    text: str, line_offset: int, limits: Limits, *, title_h1: bool = True
) -> Skeleton:
    """The skeleton of `text`, whose first line is line `line_offset + 1` of the input.

    `title_h1=False` (a template whose sections are `#` headings): no heading is the title.
    """
    tokens = block_parser(limits.max_nesting_depth).parse(text)
    check_nesting(tokens, limits.max_nesting_depth, line_offset)
    blocks = top_level_blocks(tokens)
    source = _Source(text.split("\n"), blocks, [b.start for b in blocks], line_offset, limits)
    boundaries = find_boundaries(tokens, title_h1=title_h1)
    title: str | None = None
    rows: tuple[tuple[str, str], ...] = ()
    parts: list[str] = [source.text(0, _region_end(source, boundaries, -1))]
    sections: list[RawSection] = []
    for index, boundary in enumerate(boundaries):
        end = _region_end(source, boundaries, index)
        if boundary.kind is Kind.SECTION:
            _check_count(len(sections) + 1, boundary, source)
            sections.append(_section(source, boundary, end))
        elif boundary.kind is Kind.TITLE:
            title = collapse_spaces(boundary.content)
            parts.append(source.text(boundary.end, end))
        else:
            rows, rest = _control(source, boundary.end, end)
            parts.extend(rest)
    preamble = "\n\n".join(part for part in parts if part)
    if not rows:
        rows, preamble = metadata_list(preamble, limits)
    return Skeleton(title, rows, preamble, tuple(sections))


def metadata_list(preamble: str, limits: Limits) -> tuple[tuple[tuple[str, str], ...], str]:
    """Document Control rows from a list that opens the preamble (`- Status: Draft`, or
    `- **Status:** Draft`), the style of many public templates, and the preamble without it.

    Only a list whose every item is one `Label: value` line counts, so prose is never read
    as metadata; a document with a Document Control table keeps its list as text.
    """
    tokens = block_parser(limits.max_nesting_depth).parse(preamble)
    blocks = top_level_blocks(tokens)
    if not blocks or blocks[0].type != "bullet_list_open":
        return (), preamble
    lines = preamble.split("\n")
    items = [
        _METADATA_ITEM.fullmatch(line.strip()) for line in lines[: blocks[0].end] if line.strip()
    ]
    if not all(items):
        return (), preamble
    rows = tuple(
        ((m["bold"] or m["plain"]).strip(), (m["value"] or "").strip())
        for m in items
        if m is not None
    )
    return rows, "\n".join(trim_blank_lines(lines[blocks[0].end :]))


_METADATA_ITEM = re.compile(
    r"[-*+][ \t]+"
    r"(?:\*\*(?P<bold>[^*:\n]{1,40}?)[ \t]*:?\*\*:?|(?P<plain>[^\W\d_][\w ()/.-]{0,39}?):)"
    r"(?:[ \t]+(?P<value>.*))?",
)


def is_metadata_item(line: str) -> bool:
    """One `- Label: value` (or `- **Label:** value`) line of a metadata list."""
    return _METADATA_ITEM.fullmatch(line) is not None


def find_boundaries(tokens: Sequence[Token], *, title_h1: bool = True) -> list[Boundary]:
    found: list[Boundary] = []
    seen = {Kind.TITLE: False, Kind.CONTROL: False, Kind.SECTION: False}
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or token.map is None:
            continue
        level, content = heading_level(token), tokens[index + 1].content
        kind = classify(level, content, seen, title_h1=title_h1)
        if kind is not None:
            seen[kind] = True
            found.append(Boundary(kind, level, content, token.map[0], token.map[1]))
    return found


def classify(
    level: int, content: str, seen: dict[Kind, bool], *, title_h1: bool = True
) -> Kind | None:
    """What a top-level heading starts. With `title_h1=False` (`#` headings are sections),
    only the `# Design Document: …` heading Signoff's own export writes is a title."""
    number, title = split_heading(content)
    first = level == 1 and not seen[Kind.TITLE] and not seen[Kind.SECTION]
    if first and (title_h1 or is_rendered_title(content)):
        return Kind.TITLE
    control = level == 2 and number is None and title_key(title) == _CONTROL_TITLE
    if control and not seen[Kind.CONTROL] and not seen[Kind.SECTION]:
        return Kind.CONTROL
    if level <= 3 or is_dotted(number):
        return Kind.SECTION
    return None


def _region_end(source: _Source, boundaries: Sequence[Boundary], index: int) -> int:
    """End of the region after boundary `index` (-1: before the first), minus a separator."""
    start = boundaries[index].end if index >= 0 else 0
    following = boundaries[index + 1] if index + 1 < len(boundaries) else None
    end = following.start if following else len(source.lines)
    if following is None or following.kind is not Kind.SECTION or following.level > 2:
        return end
    blocks = source.blocks_in(start, end)
    return blocks[-1].start if blocks and blocks[-1].type == "hr" else end


def _check_count(count: int, boundary: Boundary, source: _Source) -> None:
    if count > source.limits.max_sections:
        limit = source.limits.max_sections
        message = f"the document has more than {limit} sections"
        raise TooManySections(message, line=boundary.start + 1 + source.offset)


def _section(source: _Source, boundary: Boundary, end: int) -> RawSection:
    number, title = split_heading(boundary.content)
    section_id, template_ref, body_start = _stable_id(source, boundary.end, end)
    lines = source.lines[body_start:end]
    body = "\n".join(trim_blank_lines(lines))
    line = boundary.start + 1 + source.offset
    if len(body.encode("utf-8")) > source.limits.max_section_bytes:
        limit = source.limits.max_section_bytes
        raise SectionTooLarge(f"section body is larger than {limit} bytes", line=line)
    leading = next((i for i, text in enumerate(lines) if text.strip()), 0)
    body_line = body_start + leading + 1 + source.offset
    return RawSection(
        number, title, boundary.level, body, section_id, template_ref, line, body_line
    )


def _stable_id(source: _Source, start: int, end: int) -> tuple[str | None, str | None, int]:
    """(id, template ref, first body line) from a stable-id comment opening the region."""
    blocks = source.blocks_in(start, end)
    if not blocks or blocks[0].type != "html_block" or blocks[0].end - blocks[0].start != 1:
        return None, None, start
    attrs = parse_id_comment(source.lines[blocks[0].start])
    if attrs is None:
        return None, None, start
    return attrs[0], attrs[1], blocks[0].end


def parse_id_comment(line: str) -> tuple[str, str | None] | None:
    """(id, template number) from `<!-- signoff:section id=… template=… -->`, else None.

    The id may also be given bare (`<!-- signoff:section 0193… -->`); keys other than `id`
    and `template` are ignored. Anything else makes the line an ordinary comment.
    """
    match = _ID_COMMENT.fullmatch(line.strip())
    if match is None:
        return None
    values: dict[str, str] = {}
    for part in match["attrs"].split():
        key, equals, value = part.partition("=")
        name, text = (key, value) if equals else ("id", key)
        if name in values:
            return None
        values[name] = text
    section_id, template = values.get("id", ""), values.get("template")
    if not ID_RE.fullmatch(section_id):
        return None
    if template is not None and not is_template_key(template):
        return None
    return section_id, template


def render_id_comment(section_id: str, template: str | None) -> str:
    suffix = f" template={template}" if template else ""
    return f"<!-- signoff:section id={section_id}{suffix} -->"


def _control(
    source: _Source, start: int, end: int
) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """Document Control rows from the first two-column table, and the text around it."""
    table = next((b for b in source.blocks_in(start, end) if b.type == "table_open"), None)
    if table is None:
        return (), [source.text(start, end)]
    parsed = table_at(source.lines, table.start, table.end)
    if len(parsed.columns) < 2:
        return (), [source.text(start, end)]
    rows = tuple((row[0], row[1]) for row in parsed.rows)
    return rows, [source.text(start, table.start), source.text(table.end, end)]
