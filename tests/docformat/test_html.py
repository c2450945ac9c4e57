"""render_html: sanitized output, table of contents, stable anchors."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from signoff.docformat import (
    DocumentControl,
    ParsedDocument,
    Section,
    parse_document,
    render_html,
    section_anchors,
)

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)><circle/></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](  javascript:alert(1) )",
    "![img](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<p id="toc">clobber</p><form action="x"><input name="y"></form>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


class _Elements(HTMLParser):
    """Every element and its attributes, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def _assert_safe(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    forbidden = {"script", "iframe", "style", "svg", "math", "form", "input", "object"}
    for tag, attrs in parser.elements:
        assert tag not in forbidden
        for name, value in attrs:
            assert not name.startswith("on")
            assert name != "id" or tag == "section"
            if name in ("href", "src", "style"):
                lowered = (value or "").lower().replace(" ", "")
                assert "javascript:" not in lowered
                assert "data:" not in lowered


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_bodies_titles_and_document_control(attack: str) -> None:
    doc = ParsedDocument(
        control=DocumentControl(
            title=attack, status=attack, authors=(attack,), extra={"note": attack}
        ),
        sections=(Section("1", "Intro", 2, f"Text {attack}\n\n| A |\n|---|\n| {attack} |"),),
        preamble=attack,
    )
    _assert_safe(render_html(doc))


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_through_parsed_markdown(attack: str) -> None:
    markdown = (
        f"---\ntitle: '{attack.replace(chr(39), chr(39) * 2)}'\n---\n\n# Design Document: x\n\n"
        f"{attack}\n\n## 1. {attack}\n\n{attack}\n\n#### {attack}\n"
    )
    _assert_safe(render_html(parse_document(markdown)))


def test_section_titles_render_inline_markdown_safely() -> None:
    doc = ParsedDocument(sections=(Section("1", "Use `code` <b onclick=x>here</b>", 2),))
    html = render_html(doc)
    assert "<h2>1. Use <code>code</code> <b>here</b></h2>" in html
    _assert_safe(html)


def test_anchors_prefer_ids_then_number_and_title() -> None:
    sections = (
        Section("3.3", "Key Architectural Decisions", 3),
        Section("4", "API Design", 2, id="0193b2c4-7d1e"),
        Section(None, "Notes & Ideas", 2),
        Section(None, "Notes & Ideas", 2),
        Section("A", "Supporting Diagrams", 2),
        Section(None, "Ärger", 2),
        Section(None, "", 2),
    )
    assert section_anchors(sections) == [
        "sec-3-3-key-architectural-decisions",
        "s-0193b2c4-7d1e",
        "sec-notes-ideas",
        "sec-notes-ideas-2",
        "sec-appendix-a-supporting-diagrams",
        "sec-arger",
        "sec",
    ]


def test_table_of_contents_nests_and_links(filled: ParsedDocument) -> None:
    html = render_html(filled)
    toc = html[html.index('<nav class="toc">') : html.index("</nav>")]
    assert toc.count("<li>") == len(filled.sections)
    assert '<li><a href="#sec-1-introduction">1. Introduction</a><ol><li>' in toc
    assert '<a href="#sec-5-2-1-responsibility">5.2.1 Responsibility</a>' in toc
    for anchor in section_anchors(filled.sections):
        assert f'<section id="{anchor}">' in html


def test_document_content_is_rendered(filled: ParsedDocument) -> None:
    html = render_html(filled)
    assert "<h1>Design Document: Parcel Tracking API</h1>" in html
    assert "<td>Maya Okafor, Lucas Brandt</td>" in html
    assert '<code class="language-mermaid">' in html
    assert "<h4>Decision 1: Store scans append-only and derive status</h4>" in html
    assert '<th style="text-align:left">' not in html
    _assert_safe(html)


def test_table_alignment_survives_sanitizing() -> None:
    doc = ParsedDocument(sections=(Section("1", "T", 2, "| A | B |\n|:--|--:|\n| 1 | 2 |"),))
    assert '<td style="text-align:right">2</td>' in render_html(doc)


@pytest.mark.parametrize(
    "unsafe",
    [
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "<script>alert(1)</script>",
        '<h2 id="toc">x</h2>',
    ],
)
def test_the_safety_check_itself_catches_unsafe_html(unsafe: str) -> None:
    with pytest.raises(AssertionError):
        _assert_safe(unsafe)
