"""`render_html`: the document as sanitized HTML with a table of contents and anchors.

Markdown is rendered by markdown-it-py (CommonMark + GFM tables and strikethrough; raw
HTML is parsed, then sanitized). Every piece that comes from the document — title,
Document Control values, section titles, preamble and bodies — is cleaned with nh3 on
its own (no script, style or iframe, no event-handler or `id` attributes, only safe URL
schemes such as http, https and mailto), and the page around them is built here from
escaped text, so document content cannot reach outside its own element.

Anchors: a section with a stable id gets `s-<id>`; otherwise `sec-<slug>`, the slug being
the canonical heading text (`3.3 Key Architectural Decisions` → `3-3-key-architectural-
decisions`) folded to ASCII, lower-cased, non-alphanumerics collapsed to `-`. A repeated
anchor gets `-2`, `-3`, … in document order.
"""

from __future__ import annotations

import copy
import html
import re
import unicodedata
from collections.abc import Sequence

import nh3

from signoff.docformat.headings import heading_text, title_heading
from signoff.docformat.markdown import full_parser
from signoff.docformat.model import DEFAULT_LIMITS, ParsedDocument, Section
from signoff.docformat.render import control_table
from signoff.docformat.tables import render_table

_ATTRIBUTES = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
_ATTRIBUTES["code"] = {"class"}
_ATTRIBUTES["th"] = _ATTRIBUTES.get("th", set()) | {"style"}
_ATTRIBUTES["td"] = _ATTRIBUTES.get("td", set()) | {"style"}
_CLEANER = nh3.Cleaner(attributes=_ATTRIBUTES, filter_style_properties={"text-align"})
_NO_LINKS = nh3.Cleaner(tags=nh3.ALLOWED_TAGS - {"a"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def render_html(doc: ParsedDocument) -> str:
    """A self-contained `<article>` fragment for the document."""
    anchors = section_anchors(doc.sections)
    md = full_parser(DEFAULT_LIMITS.max_nesting_depth)
    parts = [
        '<article class="signoff-document">',
        f"<header><h1>{html.escape(title_heading(doc.control.title))}</h1>",
        _CLEANER.clean(md.render(render_table(control_table(doc.control)))),
        "</header>",
        f'<nav class="toc">{_toc(doc.sections, anchors)}</nav>',
        _CLEANER.clean(md.render(doc.preamble)),
    ]
    for section, anchor in zip(doc.sections, anchors, strict=True):
        parts.append(_section(section, anchor))
    parts.append("</article>")
    return "\n".join(part for part in parts if part) + "\n"


def render_fragment(markdown: str) -> str:
    """One piece of Markdown (a section body being edited) as sanitized HTML."""
    return _CLEANER.clean(full_parser(DEFAULT_LIMITS.max_nesting_depth).render(markdown))


def section_anchors(sections: Sequence[Section]) -> list[str]:
    """The HTML anchor of each section, in order (see the module docstring)."""
    seen: dict[str, int] = {}
    anchors = []
    for section in sections:
        base = f"s-{section.id}" if section.id else _slug(section)
        seen[base] = seen.get(base, 0) + 1
        anchors.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return anchors


def _slug(section: Section) -> str:
    text = unicodedata.normalize("NFKD", heading_text(section.number, section.title))
    ascii_text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    return f"sec-{slug}" if slug else "sec"


def _section(section: Section, anchor: str) -> str:
    md = full_parser(DEFAULT_LIMITS.max_nesting_depth)
    tag = f"h{section.level}"
    title = _CLEANER.clean(md.renderInline(heading_text(section.number, section.title)))
    body = render_fragment(section.body)
    return f'<section id="{html.escape(anchor)}"><{tag}>{title}</{tag}>\n{body}</section>'


def _toc(sections: Sequence[Section], anchors: Sequence[str]) -> str:
    """Nested `<ol>` lists following section levels."""
    md = full_parser(DEFAULT_LIMITS.max_nesting_depth)
    items = []
    index = 0
    while index < len(sections):
        level = sections[index].level
        stop = next(
            (j for j in range(index + 1, len(sections)) if sections[j].level <= level),
            len(sections),
        )
        section = sections[index]
        label = _NO_LINKS.clean(md.renderInline(heading_text(section.number, section.title)))
        children = _toc(sections[index + 1 : stop], anchors[index + 1 : stop])
        items.append(f'<li><a href="#{html.escape(anchors[index])}">{label}</a>{children}</li>')
        index = stop
    return f"<ol>{''.join(items)}</ol>" if items else ""
