"""docformat: Signoff's design-document format, as a pure library.

No web framework, no database and no other `signoff` package is imported here: the server,
the `signoff lint` CLI and the tests all use this package as is.

Templates
    `parse_template(markdown) -> Template`: the section tree of a Markdown template
    (numbers or heading paths, titles, levels, guidance, tables, repeatable blocks, notes,
    optional and repeating sections). `infer_template(markdown) -> str`: template Markdown
    with the outline of an existing document.

Documents
    `parse_document(markdown, template=None, *, limits=Limits()) -> ParsedDocument`:
    YAML front matter + Document Control + sections (with stable ids) matched to the
    template. `render_markdown(doc) -> str` writes canonical Markdown; parsing it gives
    the same document back. `document_from_template(template)` starts a new document.
    `check_section_body(body)` vets a body before it is stored in a section.

Stable ids
    A section's id travels in an HTML comment on the line after its heading::

        ## 3. Architectural Design
        <!-- signoff:section id=0193b2c4-7d1e-7c3a-9f00-1a2b3c4d5e6f template=3 -->

    `id` is an opaque token (letters, digits, `.`, `_`, `:`, `-`; at most 128
    characters) assigned by the server; the optional `template` is the number of the
    template section it is bound to, so that a renumbered or renamed section keeps both
    its identity and its template section.

Tables, HTML, diff, hashing, lint
    `parse_tables` / `render_table`; `render_html` (sanitized, with a table of contents
    and stable anchors); `diff_sections`; `section_hash`; `lint` with `LintConfig`.

Errors
    Every refusal of user input is a `DocFormatError` with a stable `code`, a message and
    the 1-based `line` (and `column` when known). Nothing else is raised on any string.
"""

from signoff.docformat.diff import DiffStatus, SectionDiff, diff_sections
from signoff.docformat.errors import (
    DocFormatError,
    DocumentTooLarge,
    FrontMatterError,
    FrontMatterFieldInvalid,
    FrontMatterNotMapping,
    FrontMatterTooComplex,
    FrontMatterUnterminated,
    InvalidSectionBody,
    MissingTitle,
    NestingTooDeep,
    SectionTooLarge,
    TooManySections,
)
from signoff.docformat.hashing import normalized_body, section_hash
from signoff.docformat.html import render_html, section_anchors
from signoff.docformat.infer import infer_template
from signoff.docformat.lint import (
    DEFAULT_SEVERITIES,
    RULE_IDS,
    Finding,
    LintConfig,
    LintReport,
    Severity,
    completeness,
    lint,
)
from signoff.docformat.matching import match_template
from signoff.docformat.model import (
    DEFAULT_LIMITS,
    DocumentControl,
    Limits,
    ParsedDocument,
    Section,
    YamlValue,
)
from signoff.docformat.normalize import normalize_text
from signoff.docformat.outline import content_outline, same_content
from signoff.docformat.page import render_page
from signoff.docformat.parse import parse_document, require_title
from signoff.docformat.render import (
    check_section_body,
    document_from_template,
    render_markdown,
)
from signoff.docformat.spec import BlockSpec, DocumentControlSpec, SectionSpec, Template
from signoff.docformat.tables import Table, parse_tables, render_table
from signoff.docformat.template import parse_template

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_SEVERITIES",
    "RULE_IDS",
    "BlockSpec",
    "DiffStatus",
    "DocFormatError",
    "DocumentControl",
    "DocumentControlSpec",
    "DocumentTooLarge",
    "Finding",
    "FrontMatterError",
    "FrontMatterFieldInvalid",
    "FrontMatterNotMapping",
    "FrontMatterTooComplex",
    "FrontMatterUnterminated",
    "InvalidSectionBody",
    "Limits",
    "LintConfig",
    "LintReport",
    "MissingTitle",
    "NestingTooDeep",
    "ParsedDocument",
    "Section",
    "SectionDiff",
    "SectionSpec",
    "SectionTooLarge",
    "Severity",
    "Table",
    "Template",
    "TooManySections",
    "YamlValue",
    "check_section_body",
    "completeness",
    "content_outline",
    "diff_sections",
    "document_from_template",
    "infer_template",
    "lint",
    "match_template",
    "normalize_text",
    "normalized_body",
    "parse_document",
    "parse_tables",
    "parse_template",
    "render_html",
    "render_markdown",
    "render_page",
    "render_table",
    "require_title",
    "same_content",
    "section_anchors",
    "section_hash",
]
