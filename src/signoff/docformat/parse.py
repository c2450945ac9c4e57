"""`parse_document`: Markdown (with optional YAML front matter) → `ParsedDocument`."""

from __future__ import annotations

import dataclasses

from signoff.docformat.errors import DocumentTooLarge, MissingTitle
from signoff.docformat.frontmatter import (
    FrontMatter,
    merge_control,
    parse_front_matter,
    split_front_matter,
    split_names,
)
from signoff.docformat.headings import document_title, title_key
from signoff.docformat.matching import match_template
from signoff.docformat.model import (
    DEFAULT_LIMITS,
    STANDARD_FIELDS,
    DocumentControl,
    Limits,
    ParsedDocument,
    Section,
    YamlValue,
)
from signoff.docformat.normalize import normalize_text
from signoff.docformat.skeleton import RawSection, read_skeleton
from signoff.docformat.spec import Template

# Labels of the Document Control table (case-insensitive) → DocumentControl fields.
CONTROL_LABELS = {name: name for name in STANDARD_FIELDS} | {
    "document title": "title",
    "document key": "key",
    "last updated": "last_updated",
    "author": "authors",
    "author(s)": "authors",
    "reviewer": "reviewers",
    "reviewer(s)": "reviewers",
}


def require_title(parsed: ParsedDocument) -> ParsedDocument:
    """``parsed``, when it has a title: the server refuses to store a document without one,
    and `signoff lint` refuses it the same way (one rule, one code)."""
    if not parsed.control.title.strip():
        raise MissingTitle(
            "The document has no title: give it a `title` in the front matter, a "
            "`# <title>` heading before its sections, or a title with the import.",
            line=1,
        )
    return parsed


def parse_document(
    markdown: str,
    template: Template | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    title: str | None = None,
) -> ParsedDocument:
    """Parse a design document; with a template, sections are matched to it.

    The title is `title` when given (an import names it), else the front matter's, else
    the first `#` heading's (without a `Design Document:` prefix) — unless the template's
    sections are `#` headings (`Template.h1_sections`): then every `#` heading is a section.
    Document Control comes from the front matter, the `## Document Control` table, or a
    `- Label: value` list opening the document.

    Raises a `DocFormatError` subclass (and nothing else) on malformed front matter or
    input over `limits`.
    """
    size = len(markdown.encode("utf-8", "surrogatepass"))
    if size > limits.max_document_bytes:
        limit = limits.max_document_bytes
        raise DocumentTooLarge(f"the document is {size} bytes; the limit is {limit}")
    text = normalize_text(markdown)
    split = split_front_matter(text)
    front = FrontMatter({}, {})
    if split.yaml_text is not None:
        front = parse_front_matter(split.yaml_text)
    title_h1 = template is None or not template.h1_sections
    skeleton = read_skeleton(split.body, split.body_offset, limits, title_h1=title_h1)
    heading = document_title(skeleton.title_heading or "")
    control = merge_control(front, control_from_rows(skeleton.control_rows, heading))
    if title is not None and title.strip():
        control = dataclasses.replace(control, title=" ".join(title.split()))
    sections = tuple(_section(raw) for raw in skeleton.sections)
    doc = ParsedDocument(control, sections, skeleton.preamble)
    return match_template(doc, template) if template is not None else doc


def _section(raw: RawSection) -> Section:
    return Section(
        number=raw.number,
        title=raw.title,
        level=raw.level,
        body=raw.body,
        id=raw.id,
        template_number=raw.template_ref,
        line=raw.line,
        body_line=raw.body_line,
    )


def control_from_rows(rows: tuple[tuple[str, str], ...], title: str) -> DocumentControl:
    """Document Control from the rows of a `| Field | Value |` table and the H1 title."""
    values: dict[str, str] = {"title": title}
    extra: dict[str, YamlValue] = {}
    for label, value in rows:
        name = CONTROL_LABELS.get(title_key(label))
        if name is None:
            extra[label] = value
        elif value or name != "title":
            values[name] = value
    return DocumentControl(
        title=values["title"],
        key=values.get("key") or None,
        version=values.get("version") or None,
        status=values.get("status") or None,
        authors=tuple(split_names(values.get("authors", ""))),
        reviewers=tuple(split_names(values.get("reviewers", ""))),
        template=values.get("template") or None,
        last_updated=values.get("last_updated") or None,
        extra=extra,
    )
