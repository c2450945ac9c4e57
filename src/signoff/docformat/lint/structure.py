"""Rules about the template's shape: missing, empty, guidance left, placeholders, tables."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from markdown_it.token import Token

from signoff.docformat.headings import heading_text
from signoff.docformat.lint.context import Issue, LintContext, inline_texts, parse_body
from signoff.docformat.markdown import label_value, leading_label, plain_text
from signoff.docformat.model import Section
from signoff.docformat.spec import SectionSpec
from signoff.docformat.tables import Table

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MIN_WORDS = 4
_NEAR = 0.9


def missing_section(ctx: LintContext) -> Iterator[Issue]:
    """A template section no document section matched (top-most one only).

    An optional one (marked `(Optional)`, or inside one) is no gap when absent: an
    enhancement-proposal template's optional stories would otherwise flood the findings.
    """
    present = {v.section.template_number for v in ctx.views} - {None}
    parents = ctx.template.parents()
    for spec in ctx.template.walk():
        if spec.key in present or spec.optional:
            continue
        parent = parents.get(spec.key)
        if parent is None or parent in present:
            yield Issue(None, f"section {_name(spec)} of the template is missing")


def _name(spec: SectionSpec) -> str:
    if spec.number is not None:
        return heading_text(spec.number, spec.title)
    return f"{spec.title!r} ({spec.path})"


def empty_section(ctx: LintContext) -> Iterator[Issue]:
    """A leaf section with nothing in it (a parent with an empty template body may be)."""
    for view in ctx.views:
        spec = view.spec
        expects_content = spec is None or bool(spec.body) or not spec.children
        if expects_content and not view.has_children and _is_empty(view.tokens):
            yield Issue(view.section, "the section is empty", view.section.line)


def _is_empty(tokens: list[Token]) -> bool:
    return all(t.type == "html_block" and t.content.lstrip().startswith("<!--") for t in tokens)


def guidance_left(ctx: LintContext) -> Iterator[Issue]:
    """Template guidance sentences still present verbatim or nearly (ratio ≥ 0.9)."""
    cache: dict[str, set[str]] = {}
    for view in ctx.views:
        if view.spec is None:
            continue
        template_sentences = _sentences(parse_body(view.spec.body))
        guidance = cache.setdefault(view.spec.key, {key for key, _, _ in template_sentences})
        hits = [hit for hit in _sentences(view.tokens) if _is_guidance(hit[0], guidance)]
        if hits:
            _, sentence, line = hits[0]
            message = f"{len(hits)} template guidance sentence(s) left in place, e.g. {sentence!r}"
            yield Issue(view.section, message, view.line(line))


def _sentences(tokens: list[Token]) -> list[tuple[str, str, int | None]]:
    """(comparison key, sentence, 0-based line) of every sentence outside tables and code.

    A leading bold label is not part of the sentence (`**Context:** Describe …` leaves
    `Describe …`), and sentences under four words are too generic to call guidance.
    """
    found = []
    for index, token in enumerate(tokens):
        if token.type != "inline" or _in_table(tokens, index):
            continue
        text = label_value(token) if leading_label(token) else plain_text(token)
        line = token.map[0] if token.map else None
        for sentence in _SENTENCE_END.split(text):
            key = " ".join(sentence.casefold().split()).strip("*_ ()")
            if len(key.split()) >= _MIN_WORDS:
                found.append((key, " ".join(sentence.split()), line))
    return found


def _in_table(tokens: list[Token], index: int) -> bool:
    return index > 0 and tokens[index - 1].type in ("td_open", "th_open")


def _is_guidance(sentence: str, guidance: set[str]) -> bool:
    if sentence in guidance:
        return True
    for candidate in guidance:
        if abs(len(candidate) - len(sentence)) > 0.2 * len(candidate):
            continue
        matcher = difflib.SequenceMatcher(None, sentence, candidate, autojunk=False)
        # Cheap upper bounds first: ratio() is quadratic and most pairs fail the bounds.
        if matcher.quick_ratio() >= _NEAR and matcher.ratio() >= _NEAR:
            return True
    return False


def placeholder(ctx: LintContext) -> Iterator[Issue]:
    """Template placeholders left in titles, text, table cells or Document Control."""
    yield from _control_placeholders(ctx)
    for text, _ in inline_texts(parse_body(ctx.doc.preamble)):
        yield from _found(ctx, None, text, None)
    for view in ctx.views:
        yield from _found(ctx, view.section, view.section.title, view.section.line)
        for index, token in enumerate(view.tokens):
            if token.type != "inline":
                continue
            text = plain_text(token)
            if _in_table(view.tokens, index) and ctx.placeholders.is_option_list(text):
                message = f"placeholder {text.strip()!r} left in a table"
                yield Issue(view.section, message, view.line_of(token))
            for found in ctx.placeholders.find(text):
                message = f"placeholder {found!r} left in place"
                yield Issue(view.section, message, view.line_of(token, found))


def _control_placeholders(ctx: LintContext) -> Iterator[Issue]:
    control = ctx.doc.control
    values = {
        "title": control.title,
        "version": control.version,
        "status": control.status,
        "last updated": control.last_updated,
    }
    for name, value in values.items():
        if value and ctx.placeholders.is_option_list(value):
            yield Issue(None, f"Document Control {name} is still the placeholder {value!r}")
        yield from _found(ctx, None, value or "", None, f" (Document Control {name})")


def _found(
    ctx: LintContext, section: Section | None, text: str, line: int | None, where: str = ""
) -> Iterator[Issue]:
    for found in ctx.placeholders.find(text):
        yield Issue(section, f"placeholder {found!r} left in place{where}", line)


def empty_table(ctx: LintContext) -> Iterator[Issue]:
    """A table with no rows, or whose cells are all empty or the template's example text."""
    for view in ctx.views:
        for table in view.tables:
            examples = _template_cells(view.spec, table)
            filled = any(
                cell.strip() and (col, cell.strip()) not in examples
                for row in table.rows
                for col, cell in enumerate(row)
            )
            if not filled:
                line = view.line(None if table.line is None else table.line - 1)
                message = f"table ({' | '.join(table.columns)}) has no content"
                yield Issue(view.section, message, line)


def _template_cells(spec: SectionSpec | None, table: Table) -> set[tuple[int, str]]:
    if spec is None:
        return set()
    same = (t for t in spec.all_tables() if _key(t) == _key(table))
    return {(col, cell) for t in same for row in t.rows for col, cell in enumerate(row) if cell}


def _key(table: Table) -> tuple[str, ...]:
    return tuple(" ".join(c.casefold().split()) for c in table.columns)
