"""Canonical Markdown: `render_markdown`, `document_from_template`, `check_section_body`.

Layout (mirroring the seed): YAML front matter with the Document Control values, the
`# Design Document: <title>` H1, the `## Document Control` table, the preamble if any, then
every section — preceded by a `---` line when it is a `#`/`##` section — as its heading
(`## 3. Architectural Design`, `### 3.3 Key Architectural Decisions`,
`## Appendix A: Supporting Diagrams`, `### A.1 …`), its stable-id comment when it has an
id, and its body verbatim. Parsing the output gives back the same `ParsedDocument`.
"""

from __future__ import annotations

from signoff.docformat.errors import InvalidSectionBody
from signoff.docformat.frontmatter import render_front_matter
from signoff.docformat.headings import document_title, heading_text, title_heading
from signoff.docformat.markdown import trim_blank_lines
from signoff.docformat.model import DEFAULT_LIMITS, DocumentControl, Limits, ParsedDocument, Section
from signoff.docformat.normalize import normalize_text
from signoff.docformat.parse import control_from_rows, parse_document
from signoff.docformat.skeleton import render_id_comment
from signoff.docformat.spec import Template
from signoff.docformat.tables import Table, render_table


def render_markdown(doc: ParsedDocument) -> str:
    """The document as canonical Markdown (ends with a newline)."""
    parts = [
        render_front_matter(doc.control),
        "# " + title_heading(doc.control.title),
        "## Document Control",
        render_table(control_table(doc.control)),
        doc.preamble,
    ]
    for section in doc.sections:
        if section.level <= 2:
            parts.append("---")
        parts.append(render_section(section))
    return "\n\n".join(part for part in parts if part) + "\n"


def render_section(section: Section) -> str:
    """One section: heading line, stable-id comment when it has an id, then the body."""
    text = heading_text(section.number, section.title)
    lines = ["#" * section.level + (f" {text}" if text else "")]
    if section.id is not None:
        lines.append(render_id_comment(section.id, section.template_number))
    head = "\n".join(lines)
    return f"{head}\n\n{section.body}" if section.body else head


def control_table(control: DocumentControl) -> Table:
    """The `| Field | Value |` table shown for Document Control (front matter has it all)."""
    rows = (
        ("Version", control.version or ""),
        ("Status", control.status or ""),
        ("Last Updated", control.last_updated or ""),
        ("Author(s)", ", ".join(control.authors)),
        ("Reviewers", ", ".join(control.reviewers)),
    )
    return Table(("Field", "Value"), rows)


def document_from_template(template: Template, *, title: str | None = None) -> ParsedDocument:
    """A new document whose sections are the template's, with its text as placeholder bodies.

    Document Control starts from the template's table values; the title defaults to the
    placeholder of the template's H1 (`[Backend Server Name]` for the seed).
    """
    default_title = document_title(template.title_pattern)
    control = control_from_rows(template.document_control.fields, title or default_title)
    sections = tuple(
        Section(spec.number, spec.title, spec.level, spec.body, template_number=spec.key)
        for spec in template.walk()
    )
    return ParsedDocument(control, sections, template.preamble)


def check_section_body(body: str, *, level: int = 2, limits: Limits = DEFAULT_LIMITS) -> str:
    """`body` as it will read back once placed in a document, or `InvalidSectionBody`.

    A body is refused when it would split or swallow sections: a section heading in it,
    an unclosed code fence or HTML block that runs on into the next section, or a leading
    signoff:section comment. The returned body is normalized and trimmed of blank lines.
    """
    trimmed = "\n".join(trim_blank_lines(normalize_text(body).split("\n")))
    probe = ParsedDocument(
        sections=(Section("1.1", "Probe", level, trimmed), Section("2", "Next", 2))
    )
    parsed = parse_document(render_markdown(probe), limits=limits)
    if len(parsed.sections) != 2 or parsed.sections[1] != probe.sections[1]:
        raise InvalidSectionBody(
            "the body would not stay one section: it contains a section heading "
            "or an unclosed code fence or HTML block"
        )
    if parsed.sections[0].id is not None:
        raise InvalidSectionBody("the body must not start with a signoff:section comment")
    return parsed.sections[0].body
