"""GFM pipe tables: `parse_tables` reads them out of Markdown, `render_table` writes them.

Which lines form a table is decided by markdown-it; cells are then split here, because
GFM splits on a `|` even inside a code span while Signoff treats `` `a|b` `` as one cell.
Rules, shared by both directions:

* `\\|` is a literal pipe (the backslash is consumed, as GFM does) — also inside code;
* a `|` inside a backtick code span is not a separator;
* cells are stripped; rows are padded with empty cells or cut to the header's width;
* only top-level tables are read (not tables nested in lists or block quotes).

Canonical output is deliberately unpadded (`| a | b |`, delimiter `| --- |`), so a change to
one cell changes one line of a diff. Every `|` in a cell is written as `\\|`, a line break
as `<br>`, and a backtick that opens no code span within its cell is escaped so that it
cannot pair with one in another cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from signoff.docformat.markdown import block_parser, top_level_blocks
from signoff.docformat.model import DEFAULT_LIMITS

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Table:
    """A table: header cells and rows of cell text (inline Markdown), all the same width."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    line: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError("a table needs at least one column")
        if any(len(row) != len(self.columns) for row in self.rows):
            raise ValueError("every row must have as many cells as there are columns")

    def column(self, *names: str) -> int | None:
        """Index of the first column whose header is one of `names` (case-insensitive)."""
        wanted = {" ".join(n.casefold().split()) for n in names}
        keys = [" ".join(c.casefold().split()) for c in self.columns]
        return next((i for i, key in enumerate(keys) if key in wanted), None)


@dataclass(frozen=True, slots=True)
class TableSpan:
    """A table found in some Markdown and the [start, end) lines it occupies."""

    table: Table
    start: int
    end: int


def parse_tables(markdown: str) -> list[Table]:
    """Every top-level table in `markdown`, in order (`line` is 1-based in `markdown`)."""
    return [span.table for span in table_spans(markdown.split("\n"))]


def table_spans(lines: Sequence[str]) -> list[TableSpan]:
    text = "\n".join(lines)
    if "|" not in text:
        return []
    # markdown-it ends a line at a lone "\r" too: its line numbers must be those of
    # ``lines`` (split at "\n" only), or a span would point past them.
    tokens = block_parser(DEFAULT_LIMITS.max_nesting_depth).parse(text.replace("\r", " "))
    blocks = (b for b in top_level_blocks(tokens) if b.type == "table_open")
    return [TableSpan(table_at(lines, b.start, b.end), b.start, b.end) for b in blocks]


def table_at(lines: Sequence[str], start: int, end: int) -> Table:
    """The table markdown-it found on lines [start, end) (`line` is `start + 1`)."""
    columns = tuple(split_row(lines[start]))
    width = len(columns)
    rows = []
    for line in lines[start + 2 : end]:
        cells = split_row(line)
        rows.append(tuple(cells[:width] + [""] * (width - len(cells))))
    return Table(columns, tuple(rows), line=start + 1)


def split_row(line: str) -> list[str]:
    """Split one table row into stripped cells (see the module docstring for the rules)."""
    text = line.strip().removeprefix("|")
    cells: list[str] = []
    current: list[str] = []
    i, ended_on_separator = 0, False
    while i < len(text):
        ended_on_separator = False
        if text[i] == "\\":
            i = _take_escape(text, i, current)
        elif text[i] == "`":
            i = _take_code_span(text, i, current)
        elif text[i] == "|":
            cells.append("".join(current).strip())
            current, ended_on_separator = [], True
            i += 1
        else:
            current.append(text[i])
            i += 1
    if not (ended_on_separator and cells):
        cells.append("".join(current).strip())
    return cells


def _take_escape(text: str, start: int, out: list[str]) -> int:
    """A backslash pair, except that a `|` right after a backslash is always literal (GFM)."""
    following = text[start + 1 : start + 3]
    if following.startswith("|"):
        out.append("|")
        return start + 2
    if following == "\\|" or not following:
        out.append("\\")
        return start + 1
    out.append(text[start : start + 2])
    return start + 2


def _run_length(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end - start


def _closing_run(text: str, start: int, length: int) -> int | None:
    """Start of the next run of exactly `length` backticks at or after `start`."""
    i = text.find("`", start)
    while i != -1:
        run = _run_length(text, i)
        if run == length:
            return i
        i = text.find("`", i + run)
    return None


def _take_code_span(text: str, start: int, out: list[str]) -> int:
    length = _run_length(text, start)
    close = _closing_run(text, start + length, length)
    if close is None:
        out.append(text[start : start + length])
        return start + length
    out.append(text[start : close + length].replace("\\|", "|"))
    return close + length


def render_table(table: Table) -> str:
    """Canonical GFM Markdown for `table` (no trailing newline)."""
    lines = [_render_row(table.columns), "|" + "|".join(" --- " for _ in table.columns) + "|"]
    lines.extend(_render_row(row) for row in table.rows)
    return "\n".join(lines)


def _render_row(cells: Sequence[str]) -> str:
    # A stray backtick is escaped only when the row would not read back without it (a
    # later cell's backtick would close it into a code span across the `|`): an escape
    # reads back as written, so escaping one that needs none would change the cell.
    texts = [_cell_text(cell) for cell in cells]
    plain = _join_row([text.replace("|", "\\|") for text in texts])
    if split_row(plain) == texts:
        return plain
    return _join_row([_escape_stray_backticks(text).replace("|", "\\|") for text in texts])


def _join_row(texts: Sequence[str]) -> str:
    return "|" + "|".join(f" {text} " if text else " " for text in texts) + "|"


def _cell_text(cell: str) -> str:
    return "<br>".join(part.strip() for part in _LINE_BREAK.split(cell.strip()))


def _escape_stray_backticks(cell: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(cell):
        if cell[i] == "\\" and i + 1 < len(cell):
            out.append(cell[i : i + 2])
            i += 2
        elif cell[i] == "`":
            length = _run_length(cell, i)
            close = _closing_run(cell, i + length, length)
            end = i + length if close is None else close + length
            out.append("\\`" * length if close is None else cell[i:end])
            i = end
        else:
            out.append(cell[i])
            i += 1
    return "".join(out)
