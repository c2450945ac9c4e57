"""`section_hash`: a content hash that approvals pin, stable across re-rendering.

What is hashed (UTF-8, SHA-256, hex): the line `signoff-section-v1`, the title with
whitespace runs collapsed, an empty line, then the body normalized as follows:

1. Unicode NFC; line endings LF;
2. top-level tables are replaced by their canonical `render_table` form (cell padding and
   alignment markers do not count);
3. lines inside fenced or indented code keep their indentation and inner spacing but lose
   trailing whitespace; every other line keeps its indentation (it decides list nesting)
   but has inner runs of spaces and tabs collapsed to one space and trailing ones removed;
4. runs of blank lines become one blank line; leading and trailing blank lines go.

The section number, level, stable id and template binding are *not* hashed: renumbering
or moving a section does not change its content, so it does not dismiss approvals.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from markdown_it.token import Token

from signoff.docformat.markdown import block_parser, is_blank, top_level_blocks
from signoff.docformat.model import DEFAULT_LIMITS, Section
from signoff.docformat.tables import render_table, table_at

_VERSION = "signoff-section-v1"
_INNER_SPACE = re.compile(r"(?<=\S)[ \t]+(?=\S)")


def section_hash(section: Section) -> str:
    """SHA-256 hex digest of the section's normalized title and body."""
    title = " ".join(unicodedata.normalize("NFC", section.title).split())
    payload = f"{_VERSION}\n{title}\n\n{normalized_body(section.body)}"
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def normalized_body(body: str) -> str:
    """The body in the normalized form that `section_hash` hashes."""
    text = unicodedata.normalize("NFC", body).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    tokens = block_parser(DEFAULT_LIMITS.max_nesting_depth).parse(text)
    code = _code_lines(tokens)
    tables = {b.start: b.end for b in top_level_blocks(tokens) if b.type == "table_open"}
    out: list[tuple[str, bool]] = []
    index = 0
    while index < len(lines):
        if index in tables:
            canonical = render_table(table_at(lines, index, tables[index]))
            out.extend((line, False) for line in canonical.split("\n"))
            index = tables[index]
            continue
        line = lines[index].rstrip()
        in_code = index in code
        out.append((line if in_code else _INNER_SPACE.sub(" ", line), in_code))
        index += 1
    return "\n".join(_squeeze_blank(out))


def _code_lines(tokens: Sequence[Token]) -> set[int]:
    lines: set[int] = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(token.map[0], token.map[1]))
    return lines


def _squeeze_blank(lines: Sequence[tuple[str, bool]]) -> list[str]:
    """Drop blank lines at both ends and repeated ones, except inside code."""
    out: list[str] = []
    for line, in_code in lines:
        if not in_code and is_blank(line) and (not out or is_blank(out[-1])):
            continue
        out.append(line)
    while out and is_blank(out[-1]):
        out.pop()
    return out
