"""The documents domain's CPU-heavy work as plain functions, which the CPU pool runs in a
worker process (core/cpu.py): their arguments and results are docformat values, which
pickle, and they touch no database and no request."""

from __future__ import annotations

from datetime import date

from signoff.docformat import (
    Limits,
    LintConfig,
    LintReport,
    ParsedDocument,
    SectionDiff,
    Template,
    completeness,
    diff_sections,
    infer_template,
    lint,
    parse_document,
    render_html,
    render_markdown,
    render_page,
)


def parse(text: str, limits: Limits, template: Template | None = None) -> ParsedDocument:
    """Parse Markdown; with a template whose sections are `#` headings (an RFC-style one),
    reading its structure needs the template (see `parse_document`)."""
    return parse_document(text, template, limits=limits)


def lint_text(
    text: str, limits: Limits, template: Template, today: date, config: LintConfig
) -> LintReport:
    """Lint Markdown as sent (``POST /v1/lint``): parse, match to the template, lint."""
    parsed = parse_document(text, template, limits=limits)
    return lint(parsed, template, today=today, config=config)


def lint_parsed(
    parsed: ParsedDocument,
    template: Template,
    today: date,
    config: LintConfig,
    approval_expired_on: date | None,
) -> LintReport:
    return lint(
        parsed, template, today=today, config=config, approval_expired_on=approval_expired_on
    )


def completeness_parsed(parsed: ParsedDocument, template: Template, today: date) -> int:
    return completeness(parsed, template, today=today)


def infer(parsed: ParsedDocument) -> str:
    """Template Markdown from a stored document's outline (``from_document``)."""
    return infer_template(render_markdown(parsed))


def diff(before: ParsedDocument, after: ParsedDocument) -> list[SectionDiff]:
    return diff_sections(before, after)


def render(parsed: ParsedDocument, fmt: str) -> bytes:
    """``markdown``; ``html``, the fragment for embedding; ``page``, a complete HTML page."""
    if fmt == "markdown":
        return render_markdown(parsed).encode()
    return (render_page(parsed) if fmt == "page" else render_html(parsed)).encode()


def size_of(*documents: ParsedDocument) -> int:
    """About how much text the work has to go through, to choose the loop or a worker."""
    return sum(len(s.body) for d in documents for s in d.sections)
