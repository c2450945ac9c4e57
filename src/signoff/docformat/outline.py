"""What "render keeps the content" means, as a comparable value.

`content_outline(markdown)` is the sequence of content items of a Markdown document, read
from markdown-it tokens, with these normalizations (and no others):

* front matter, the title H1 and the `## Document Control` heading and table are left out:
  they are Document Control, compared as data (`parse_document(...).control`); so is a
  `- Label: value` list opening a document without that table (`skeleton.metadata_list`);
* `---` thematic breaks are left out (the renderer writes its own separators);
* signoff:section stable-id comments are left out (they are section metadata);
* headings compare by level, section number and title, so `## 3 Foo` equals `## 3. Foo`,
  `## Appendix A - X` equals `## Appendix A: X`, and a setext `Foo` underlined with
  `---` equals `## Foo`;
* paragraphs compare by their inline Markdown with whitespace runs collapsed;
* tables compare by cell text (stripped), not by padding or alignment markers;
* code blocks compare by info string and text, with trailing whitespace removed;
* lists compare by kind, start number and nesting (not by tight/loose spacing);
* every link and image target is an item of its own, in order.

`same_content(a, b)` is `content_outline(a) == content_outline(b)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.token import Token

from signoff.docformat.errors import DocFormatError
from signoff.docformat.frontmatter import split_front_matter
from signoff.docformat.headings import split_heading
from signoff.docformat.markdown import full_parser, heading_level
from signoff.docformat.model import DEFAULT_LIMITS
from signoff.docformat.normalize import normalize_text
from signoff.docformat.skeleton import Kind, classify, is_metadata_item, parse_id_comment

OutlineItem = tuple[str | int | None, ...]
_STRUCTURE = {
    "bullet_list_open": ("list", "bullet"),
    "ordered_list_open": ("list", "ordered"),
    "bullet_list_close": ("end-list",),
    "ordered_list_close": ("end-list",),
    "list_item_open": ("item",),
    "list_item_close": ("end-item",),
    "blockquote_open": ("quote",),
    "blockquote_close": ("end-quote",),
}


def content_outline(markdown: str) -> tuple[OutlineItem, ...]:
    """The content items of `markdown` (see the module docstring)."""
    body = _body(markdown)
    tokens = full_parser(DEFAULT_LIMITS.max_nesting_depth).parse(body)
    skipped = _control_tokens(tokens)
    if not skipped & {i for i, t in enumerate(tokens) if t.type == "table_open"}:
        skipped |= _metadata_tokens(tokens, body.split("\n"))
    items: list[OutlineItem] = []
    for index, token in enumerate(tokens):
        if index not in skipped:
            items.extend(_items(tokens, index, token))
    return tuple(items)


def same_content(a: str, b: str) -> bool:
    return content_outline(a) == content_outline(b)


def _body(markdown: str) -> str:
    text = normalize_text(markdown)
    try:
        return split_front_matter(text).body
    except DocFormatError:
        return text


def _control_tokens(tokens: Sequence[Token]) -> set[int]:
    """Indices of the title heading and the Document Control heading and table tokens."""
    skipped: set[int] = set()
    seen = {Kind.TITLE: False, Kind.CONTROL: False, Kind.SECTION: False}
    in_control = False
    for index, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "heading_open":
            kind = classify(heading_level(token), tokens[index + 1].content, seen)
            if kind is not None:
                seen[kind] = True
                in_control = kind is Kind.CONTROL
            if kind in (Kind.TITLE, Kind.CONTROL):
                skipped.update((index, index + 1, index + 2))
        elif token.type == "table_open" and in_control:
            end = next(j for j in range(index, len(tokens)) if tokens[j].type == "table_close")
            skipped.update(range(index, end + 1))
            in_control = False
    return skipped


def _metadata_tokens(tokens: Sequence[Token], lines: Sequence[str]) -> set[int]:
    """The tokens of a metadata list: the first top-level block other than the title, before
    any section, a bullet list of `Label: value` lines only."""
    seen = {Kind.TITLE: False, Kind.CONTROL: False, Kind.SECTION: False}
    for index, token in enumerate(tokens):
        if token.level != 0 or token.type.endswith("_close") or token.type == "inline":
            continue
        if token.type == "heading_open":
            kind = classify(heading_level(token), tokens[index + 1].content, seen)
            if kind is Kind.TITLE:
                seen[kind] = True
                continue
            return set()
        if token.type != "bullet_list_open" or token.map is None:
            return set()
        items = [line.strip() for line in lines[token.map[0] : token.map[1]] if line.strip()]
        if not all(is_metadata_item(item) for item in items):
            return set()
        end = next(j for j in range(index, len(tokens)) if _closes(tokens[j], token))
        return set(range(index, end + 1))
    return set()


def _closes(candidate: Token, opening: Token) -> bool:
    return candidate.type == "bullet_list_close" and candidate.level == opening.level


def _items(tokens: Sequence[Token], index: int, token: Token) -> list[OutlineItem]:
    if token.type in _STRUCTURE:
        start = token.attrGet("start") if token.type == "ordered_list_open" else None
        return [(*_STRUCTURE[token.type], None if start is None else str(start))]
    if token.type == "heading_open":
        number, title = split_heading(tokens[index + 1].content)
        return [("heading", heading_level(token), number, title)]
    if token.type == "paragraph_open":
        return [("paragraph", " ".join(tokens[index + 1].content.split()))]
    if token.type in ("fence", "code_block"):
        code = "\n".join(line.rstrip() for line in token.content.rstrip().split("\n"))
        return [("code", token.info.strip(), code)]
    if token.type == "table_open":
        return [("table", *_table_rows(tokens, index))]
    if token.type == "html_block" and parse_id_comment(token.content) is None:
        return [("html", token.content.strip())]
    if token.type == "inline":
        return [_link(child) for child in token.children or () if _is_target(child)]
    return []


def _table_rows(tokens: Sequence[Token], start: int) -> list[str]:
    rows: list[str] = []
    cells: list[str] = []
    for token in tokens[start:]:
        if token.type == "table_close":
            break
        if token.type == "inline":
            cells.append(token.content.strip())
        elif token.type == "tr_close":
            rows.append(" | ".join(cells))
            cells = []
    return rows


def _is_target(token: Token) -> bool:
    return token.type in ("link_open", "image")


def _link(token: Token) -> OutlineItem:
    attr = "href" if token.type == "link_open" else "src"
    return (token.type.removesuffix("_open"), str(token.attrGet(attr)))
