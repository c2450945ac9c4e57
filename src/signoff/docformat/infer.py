"""`infer_template`: a template from an existing document's outline (ADR 0022).

A team that already writes design documents in its own style registers that style by
showing one document. The document is read as a template would be (`parse_template`), and
written back as template Markdown with its content left out:

* every heading, numbered or not, at its level; the title heading becomes `[Title]` (with
  the document's own prefix, such as `KEP-42:` → `KEP-NNNN:`, kept as text when it has one);
* Document Control as it was given: a `## Document Control` table or a `- Label:` list,
  with the labels and no values;
* every table with its columns and one empty row;
* repeatable blocks (`#### Decision 3: Use PostgreSQL`) with their bold-label fields;
  consecutive blocks of the same shape become one (`#### Decision 1: [Title]`) followed by
  a `*(Repeat for each …)*` note;
* consecutive sibling sections of the same non-trivial shape (the same subsections, tables
  and fields under different titles: one per service, per endpoint) become one `[Name]`
  section with a repeat note, so that documents may have any number of them.

Prose is left out: it is one document's content, not the team's guidance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from signoff.docformat.headings import heading_text, title_key
from signoff.docformat.model import DEFAULT_LIMITS, Limits
from signoff.docformat.normalize import normalize_text
from signoff.docformat.spec import BlockSpec, SectionSpec, Template
from signoff.docformat.tables import Table, render_table
from signoff.docformat.template import parse_template

_NUMBER = re.compile(r"\d+")
_CONTROL_HEADING = re.compile(r"^##[ \t]+document[ \t]+control[ \t#]*$", re.IGNORECASE | re.M)

_REPEAT_NOTE = "*(Repeat for each of them)*"
Shape = tuple[tuple[str, ...], ...]
_T = TypeVar("_T")


def infer_template(markdown: str, *, limits: Limits = DEFAULT_LIMITS) -> str:
    """Template Markdown with the outline of the document `markdown` (see the module)."""
    text = normalize_text(markdown)
    outline = parse_template(text, limits=limits)
    parts = [_title(outline), _control(outline, bool(_CONTROL_HEADING.search(text)))]
    parts.extend(_sections(outline.sections))
    return "\n\n".join(part for part in parts if part) + "\n"


def _title(outline: Template) -> str:
    # With `#` sections (an RFC-style document), a title heading would make them all
    # subsections of it: documents on such a template take their title from elsewhere.
    if not outline.title_pattern or any(s.level == 1 for s in outline.sections):
        return ""
    prefix, colon, _ = outline.title_pattern.partition(":")
    if colon and len(prefix.split()) <= 3:
        return f"# {_NUMBER.sub(lambda m: 'N' * len(m[0]), prefix)}: [Title]"
    return "# [Title]"


def _control(outline: Template, as_table: bool) -> str:
    labels = [label for label, _ in outline.document_control.fields]
    if not labels:
        return ""
    if as_table:
        table = Table(("Field", "Value"), tuple((label, "") for label in labels))
        return "## Document Control\n\n" + render_table(table)
    return "\n".join(f"- {label}:" for label in labels)


def _sections(specs: Sequence[SectionSpec], parent: str = "") -> Iterator[str]:
    for group in _groups(specs, _section_shape):
        first = group[0]
        if len(group) > 1 and first.number is None:
            yield _section(first, f"[{_singular(parent)}Name]", repeats=True)
            yield from _sections(first.children, first.title)
            continue
        for spec in group:
            yield _section(spec, spec.title)
            yield from _sections(spec.children, spec.title)


def _section(spec: SectionSpec, title: str, *, repeats: bool = False) -> str:
    lines = ["#" * spec.level + " " + heading_text(spec.number, title)]
    lines.extend(render_table(_empty(t)) for t in spec.tables)
    if repeats:
        # Before any block: after one, the note would be read as the block's.
        lines.append(_REPEAT_NOTE)
    lines.extend(_blocks(spec.blocks))
    return "\n\n".join(lines)


def _blocks(blocks: Sequence[BlockSpec]) -> Iterator[str]:
    for group in _groups(blocks, _block_shape):
        block = group[0]
        heading = _generic_heading(block.heading) if len(group) > 1 else block.heading
        lines = ["#" * block.level + " " + heading]
        lines.extend(f"- **{label}:**" for label in block.fields)
        lines.extend(render_table(_empty(t)) for t in block.tables)
        if len(group) > 1:
            lines.append(_REPEAT_NOTE)
        yield "\n\n".join(lines)


def _groups(items: Sequence[_T], shape: Callable[[_T], Shape]) -> Iterator[list[_T]]:
    """Runs of consecutive items with the same non-empty shape; other items alone."""
    run: list[_T] = []
    for item in items:
        if run and shape(item) and shape(item) == shape(run[0]):
            run.append(item)
            continue
        if run:
            yield run
        run = [item]
    if run:
        yield run


def _section_shape(spec: SectionSpec) -> Shape:
    """Subsections, tables (by columns) and blocks (by heading, fields and tables); empty
    for a section of prose only, which says nothing about repeating."""
    children = tuple(title_key(c.title) for c in spec.children)
    tables = tuple(_columns(t) for t in spec.tables)
    blocks = tuple(
        (title_key(b.heading), *b.fields, *(c for t in b.tables for c in _columns(t)))
        for b in spec.blocks
    )
    if not (children or tables or blocks):
        return ()
    return (children, *tables, *blocks, (str(spec.level),))


def _columns(table: Table) -> tuple[str, ...]:
    return tuple(title_key(c) for c in table.columns)


def _block_shape(block: BlockSpec) -> Shape:
    return (block.fields, *(t.columns for t in block.tables)) if block.fields else ()


def _generic_heading(heading: str) -> str:
    """`Decision 3: Use PostgreSQL` → `Decision 1: [Title]`; `GET /users` → `[Name]`."""
    prefix, colon, _ = heading.partition(":")
    if colon:
        return f"{_NUMBER.sub('1', prefix)}: [Title]"
    return "[Name]"


def _singular(parent: str) -> str:
    """`Services` → `Service `, for `[Service Name]`; a longer title gives plain `[Name]`."""
    words = parent.split()
    return words[0].removesuffix("s") + " " if len(words) == 1 else ""


def _empty(table: Table) -> Table:
    return Table(table.columns, (("",) * len(table.columns),))
