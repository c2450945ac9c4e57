"""`parse_template`: a Markdown template (the seed) → `Template`, its section tree.

Sections are found exactly as in documents (see `skeleton`); inside each section body,
markdown-it tokens locate the repeatable blocks (unnumbered headings), their bold-label
fields, `*(Repeat for each …)*` notes, `**Supporting Diagram (optional):**` notes, guidance
paragraphs and tables. Unrecognised headings are kept as unnumbered sections.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from markdown_it.token import Token

from signoff.docformat.errors import HeadingPathTooLong
from signoff.docformat.frontmatter import parse_front_matter, split_front_matter
from signoff.docformat.headings import (
    MAX_KEY_LENGTH,
    is_optional_title,
    is_template_key,
    path_segment,
)
from signoff.docformat.markdown import (
    full_parser,
    heading_level,
    label_value,
    leading_label,
    top_level_blocks,
    trim_blank_lines,
)
from signoff.docformat.model import DEFAULT_LIMITS, Limits, YamlValue
from signoff.docformat.normalize import normalize_text
from signoff.docformat.skeleton import RawSection, read_skeleton
from signoff.docformat.spec import BlockSpec, DocumentControlSpec, SectionSpec, Template
from signoff.docformat.tables import TableSpan, table_spans

_REPEAT = re.compile(r"\(\s*(repeat\b[^)]*?)\s*\)", re.IGNORECASE)
_DIAGRAM_LABEL = "supporting diagram"
_PLACEHOLDER = re.compile(r"\[[^\]\n]+\]")


def parse_template(markdown: str, *, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Parse a Markdown template into its section tree (see `Template`)."""
    text = normalize_text(markdown)
    split = split_front_matter(text)
    metadata = parse_front_matter(split.yaml_text).values if split.yaml_text is not None else {}
    skeleton = read_skeleton(split.body, split.body_offset, limits)
    if skeleton.title_heading is not None and any(r.level == 1 for r in skeleton.sections):
        # More than one `#` heading (an RFC-style template): they are all sections.
        skeleton = read_skeleton(split.body, split.body_offset, limits, title_h1=False)
    flat = [_Flat(raw, _section_parts(raw.body, limits)) for raw in skeleton.sections]
    _attach_repeat_notes(flat)
    marks = _Marks(_keys(metadata, "optional"), _keys(metadata, "repeat"))
    return Template(
        title_pattern=skeleton.title_heading or "",
        document_control=DocumentControlSpec(skeleton.control_rows),
        sections=_tree(flat, 0, len(flat), _Parent("", False), marks),
        preamble=skeleton.preamble,
        metadata=metadata,
    )


@dataclass
class _Parts:
    guidance: list[str] = field(default_factory=list)
    tables: list[TableSpan] = field(default_factory=list)
    blocks: list[BlockSpec] = field(default_factory=list)
    diagram_note: str | None = None
    repeat_note: str | None = None


@dataclass
class _Flat:
    raw: RawSection
    parts: _Parts


@dataclass
class _OpenBlock:
    heading: str
    level: int
    start: int


class _BodyReader:
    """Walks a section body's top-level blocks, opening and closing repeatable blocks."""

    def __init__(self, body: str, limits: Limits) -> None:
        self.lines = body.split("\n")
        self.tokens = full_parser(limits.max_nesting_depth).parse(body)
        self.parts = _Parts()
        self.open: _OpenBlock | None = None
        self.ranges: list[tuple[int, int]] = []

    def read(self) -> _Parts:
        for block in top_level_blocks(self.tokens):
            token = self.tokens[block.index]
            if token.type == "heading_open":
                self._open_heading(block.index, block.start, block.end)
            elif token.type == "paragraph_open":
                self._paragraph(self.tokens[block.index + 1], block.start, block.end)
        self._close(len(self.lines), None)
        spans = table_spans(self.lines)
        self.parts.tables = [s for s in spans if not self._in_block(s.start)]
        return self.parts

    def _open_heading(self, index: int, start: int, end: int) -> None:
        level = heading_level(self.tokens[index])
        if self.open is not None and level > self.open.level:
            return
        self._close(start, None)
        heading = " ".join(self.tokens[index + 1].content.split())
        self.open = _OpenBlock(heading, level, end)

    def _paragraph(self, inline: Token, start: int, end: int) -> None:
        repeat = repeat_note(inline)
        label = leading_label(inline)
        if repeat is not None:
            if self.open is None:
                self.parts.repeat_note = repeat
            self._close(start, repeat)
        elif label is not None and label.casefold().startswith(_DIAGRAM_LABEL):
            self._close(start, None)
            self.parts.diagram_note = label_value(inline)
        elif self.open is None:
            self.parts.guidance.append("\n".join(self.lines[start:end]).strip())

    def _close(self, end: int, repeat: str | None) -> None:
        if self.open is None:
            return
        body_lines = self.lines[self.open.start : end]
        body = "\n".join(trim_blank_lines(body_lines))
        self.parts.blocks.append(_block(self.open, body, repeat))
        self.ranges.append((self.open.start, end))
        self.open = None

    def _in_block(self, line: int) -> bool:
        return any(start <= line < end for start, end in self.ranges)


def _block(open_block: _OpenBlock, body: str, repeat: str | None) -> BlockSpec:
    lines = body.split("\n")
    inner = full_parser(DEFAULT_LIMITS.max_nesting_depth).parse(body)
    labels = (leading_label(t) for t in inner if t.type == "inline")
    fields = tuple(label for label in labels if label is not None)
    tables = tuple(span.table for span in table_spans(lines))
    return BlockSpec(open_block.heading, open_block.level, fields, tables, repeat, body)


def repeat_note(inline: Token) -> str | None:
    """The text of an `*(Repeat for each …)*` paragraph, without parentheses."""
    children = [c for c in inline.children or () if c.type != "text" or c.content]
    if [c.type for c in children] != ["em_open", "text", "em_close"]:
        return None
    match = _REPEAT.fullmatch(children[1].content.strip())
    return match[1] if match else None


def _section_parts(body: str, limits: Limits) -> _Parts:
    return _BodyReader(body, limits).read() if body else _Parts()


def _attach_repeat_notes(flat: list[_Flat]) -> None:
    """Move a note that follows no block to the `[placeholder]` section it repeats."""
    for index, item in enumerate(flat):
        note = item.parts.repeat_note
        if note is None:
            continue
        target = _placeholder_ancestor(flat, index)
        if target is not item:
            item.parts.repeat_note = None
            target.parts.repeat_note = note


def _placeholder_ancestor(flat: list[_Flat], index: int) -> _Flat:
    level = flat[index].raw.level
    for candidate in reversed(flat[: index + 1]):
        if candidate.raw.level <= level:
            if _PLACEHOLDER.search(candidate.raw.title):
                return candidate
            level = candidate.raw.level - 1
    return flat[index]


@dataclass(frozen=True)
class _Marks:
    """Keys (numbers or heading paths) the template's front matter lists as `optional:` or
    `repeat:`, for templates that would rather not mark their headings."""

    optional: frozenset[str]
    repeat: frozenset[str]


@dataclass(frozen=True)
class _Parent:
    path: str
    optional: bool


def _keys(metadata: dict[str, YamlValue], name: str) -> frozenset[str]:
    value = metadata.get(name)
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return frozenset(item.strip() for item in items if isinstance(item, str))


def _tree(
    flat: list[_Flat], start: int, end: int, parent: _Parent, marks: _Marks
) -> tuple[SectionSpec, ...]:
    specs: list[SectionSpec] = []
    paths: set[str] = set()
    index = start
    while index < end:
        level = flat[index].raw.level
        stop = next((j for j in range(index + 1, end) if flat[j].raw.level <= level), end)
        path = _unique(f"{parent.path}/{path_segment(flat[index].raw.title)}", paths)
        key = flat[index].raw.number or path
        if not is_template_key(key):
            # Else every document on the template would fail to record which section is which.
            raise HeadingPathTooLong(
                f"the heading path {key[:60]}… is longer than {MAX_KEY_LENGTH} characters: "
                "shorten the titles or number the sections",
                line=flat[index].raw.line,
            )
        optional = (
            parent.optional or is_optional_title(flat[index].raw.title) or key in marks.optional
        )
        children = _tree(flat, index + 1, stop, _Parent(path, optional), marks)
        spec = _spec(flat[index], children)
        repeats = spec.number is None and (key in marks.repeat or _repeating(spec))
        specs.append(dataclasses.replace(spec, path=path, optional=optional, repeats=repeats))
        index = stop
    return tuple(specs)


def _unique(path: str, taken: set[str]) -> str:
    """Siblings with the same title get `-2`, `-3`… so that every path names one section."""
    candidate, count = path, 1
    while candidate in taken:
        count += 1
        candidate = f"{path}-{count}"
    taken.add(candidate)
    return candidate


def _repeating(spec: SectionSpec) -> bool:
    return spec.repeat_note is not None and _PLACEHOLDER.search(spec.title) is not None


def _spec(item: _Flat, children: tuple[SectionSpec, ...]) -> SectionSpec:
    raw, parts = item.raw, item.parts
    return SectionSpec(
        number=raw.number,
        title=raw.title,
        level=raw.level,
        guidance="\n\n".join(parts.guidance),
        tables=tuple(span.table for span in parts.tables),
        blocks=tuple(parts.blocks),
        diagram_note=parts.diagram_note,
        repeat_note=parts.repeat_note,
        body=raw.body,
        children=children,
    )
