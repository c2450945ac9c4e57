"""markdown-it-py parsers shared by docformat, and helpers to read their tokens.

Everything Markdown-structural in docformat goes through these tokens (with their line
maps), so a heading inside a fenced code block is never a heading and a `|` inside code is
never a column separator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from signoff.docformat.errors import NestingTooDeep

# markdown-it counts a list as two levels (list + item); the margin lets a document one
# level deeper than the limit reach the depth check instead of being silently cut off.
_NESTING_MARGIN = 4
_CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open"})
_CONTAINER_CLOSES = frozenset({"bullet_list_close", "ordered_list_close", "blockquote_close"})


def _max_nesting(depth_limit: int) -> int:
    return 2 * depth_limit + _NESTING_MARGIN


@lru_cache(maxsize=8)
def block_parser(depth_limit: int) -> MarkdownIt:
    """GFM-like block parser without inline parsing: structure only, and fast."""
    md = MarkdownIt("commonmark", {"maxNesting": _max_nesting(depth_limit)})
    return md.enable(["table", "strikethrough"]).disable("inline")


@lru_cache(maxsize=8)
def full_parser(depth_limit: int) -> MarkdownIt:
    """GFM-like parser with inline tokens (tables, strikethrough, raw HTML kept for nh3)."""
    md = MarkdownIt("commonmark", {"maxNesting": _max_nesting(depth_limit), "html": True})
    return md.enable(["table", "strikethrough"])


def check_nesting(tokens: Sequence[Token], limit: int, line_offset: int = 0) -> None:
    """Raise `NestingTooDeep` when lists/block quotes nest deeper than `limit`."""
    depth = 0
    for token in tokens:
        if token.type in _CONTAINERS:
            depth += 1
            if depth > limit:
                line = token.map[0] + 1 + line_offset if token.map else None
                raise NestingTooDeep(
                    f"lists or block quotes nest {depth} deep; the limit is {limit}", line=line
                )
        elif token.type in _CONTAINER_CLOSES:
            depth -= 1


@dataclass(frozen=True, slots=True)
class Block:
    """A top-level block: its opening token's index and its [start, end) line range."""

    index: int
    type: str
    start: int
    end: int


def top_level_blocks(tokens: Sequence[Token]) -> list[Block]:
    """The blocks at nesting level 0, in order, with their line ranges."""
    return [
        Block(i, t.type, t.map[0], t.map[1])
        for i, t in enumerate(tokens)
        if t.level == 0 and t.nesting >= 0 and t.map is not None
    ]


def heading_level(token: Token) -> int:
    return int(token.tag[1])


def plain_text(inline: Token) -> str:
    """The readable text of an inline token: code spans, HTML and link targets left out.

    Code is skipped on purpose: a code example may legitimately show `YYYY-MM-DD` or a
    `[Name]` pattern, and that is not a placeholder left behind.
    """
    parts: list[str] = []
    for child in inline.children or ():
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak", "code_inline"):
            parts.append(" ")
    return "".join(parts)


def _children(inline: Token) -> list[Token]:
    # markdown-it leaves empty text tokens around delimiters; they carry nothing.
    return [c for c in inline.children or () if c.type != "text" or c.content]


def leading_label(inline: Token) -> str | None:
    """The bold label that opens an inline (`**Context:** …` or `**Context**: …`), if any."""
    children = _children(inline)
    if len(children) < 3 or children[0].type != "strong_open":
        return None
    if children[1].type != "text" or children[2].type != "strong_close":
        return None
    label = children[1].content.strip()
    after = children[3].content if len(children) > 3 and children[3].type == "text" else ""
    if label.endswith(":"):
        return label[:-1].strip()
    if after.startswith(":"):
        return label
    return None


def label_value(inline: Token) -> str:
    """The text after an opening bold label, stripped of the colon."""
    children = _children(inline)[3:]
    text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
    return text.lstrip().removeprefix(":").strip()


_BLANK_RE = re.compile(r"[ \t]*")


def is_blank(line: str) -> bool:
    return _BLANK_RE.fullmatch(line) is not None


def trim_blank_lines(lines: Sequence[str]) -> list[str]:
    """Drop whitespace-only lines at both ends (indentation of content lines is kept)."""
    start, end = 0, len(lines)
    while start < end and is_blank(lines[start]):
        start += 1
    while end > start and is_blank(lines[end - 1]):
        end -= 1
    return list(lines[start:end])
