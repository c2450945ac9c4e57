"""Reading register rows out of a section's Markdown, and writing them back in place.

Only the register's table (or, for decisions, the `#### Decision N: Title` blocks) is
rewritten; the prose around it stays exactly as the author wrote it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from signoff.docformat import Table, render_table
from signoff.docformat.tables import TableSpan, table_spans
from signoff.registers.kinds import DECISIONS, Kind, is_placeholder

Row = dict[str, str]

_DECISION = re.compile(r"^####\s+Decision\s+(\d+)\s*:\s*(.*?)\s*$")
_FIELD = re.compile(r"^\s*[-*]\s+\*\*(?P<label>[^*:]+?):?\*\*:?\s*(?P<value>.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_REPEAT_NOTE = re.compile(r"^\s*\*\(Repeat for each .*\)\*\s*$", re.IGNORECASE)


def _find(kind: Kind, lines: Sequence[str]) -> TableSpan | None:
    first = kind.columns[0].header.lower()
    for span in table_spans(lines):
        if span.table.columns and span.table.columns[0].strip().lower() == first:
            return span
    return None


def read_rows(kind: Kind, body: str) -> list[Row]:
    if kind is DECISIONS:
        return read_decisions(body)
    span = _find(kind, body.split("\n"))
    if span is None:
        return []
    index = {c.strip().lower(): i for i, c in enumerate(span.table.columns)}
    rows = []
    for cells in span.table.rows:
        # One shape for a row, so that what `write_rows` writes reads back the same: it
        # writes every required column (empty when the table had none) and an optional one
        # only when some row fills it. So a required field is always there, and an optional
        # one only with a value.
        row = {
            col.field: value
            for col in kind.columns
            if (value := _cell(cells, index.get(col.header.lower()))) or not col.optional
        }
        if not is_placeholder(row.get(kind.key, "")):
            rows.append(row)
    return rows


def _cell(cells: Sequence[str], at: int | None) -> str:
    return "" if at is None else cells[at].strip()


def write_rows(kind: Kind, body: str, rows: Sequence[Row]) -> str:
    """``body`` with the register's table replaced by ``rows`` (appended if it had none)."""
    if kind is DECISIONS:
        return write_decisions(body, rows)
    lines = body.split("\n")
    span = _find(kind, lines)
    columns = kind.headers(list(rows))
    if span is not None:
        # The author's table keeps its columns (a `| Risk | Mitigation |` table stays two
        # columns), plus any column a row now has a value for.
        present = {c.strip().lower() for c in span.table.columns}
        columns = [
            c
            for c in kind.columns
            if c.header.lower() in present or any(r.get(c.field) for r in rows)
        ]
    table = Table(
        tuple(c.header for c in columns),
        tuple(tuple(r.get(c.field, "") for c in columns) for r in rows) or (("",) * len(columns),),
    )
    rendered = render_table(table).rstrip("\n").split("\n")
    if span is None:
        return "\n\n".join(p for p in (body.rstrip(), "\n".join(rendered)) if p)
    return "\n".join([*lines[: span.start], *rendered, *lines[span.end :]])


def read_decisions(body: str) -> list[Row]:
    rows: list[Row] = []
    current: Row | None = None
    field: str | None = None
    fenced = False
    labels = {c.header.lower(): c.field for c in DECISIONS.columns}
    for line in body.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _DECISION.match(line)
        if heading:
            current = {"number": heading.group(1), "title": heading.group(2)}
            rows.append(current)
            field = None
            continue
        if current is None or fenced:
            continue
        match = _FIELD.match(line)
        if match and match.group("label").strip().lower() in labels:
            field = labels[match.group("label").strip().lower()]
            current[field] = match.group("value").strip()
        elif field and line.startswith("  ") and line.strip():
            current[field] = (current[field] + " " + line.strip()).strip()
        elif line.startswith("#"):
            current, field = None, None
    # The template's own example block (`Decision 1: [Title]`) is not a decision.
    return [r for r in rows if not is_placeholder(r.get("title", ""))]


def render_decision(row: Row) -> str:
    lines = [f"#### Decision {row['number']}: {row.get('title', '')}".rstrip(), ""]
    for column in DECISIONS.columns[2:]:
        value = row.get(column.field, "")
        if value or not column.optional:
            lines.append(f"- **{column.header}:** {value}".rstrip())
    return "\n".join(lines)


def write_decisions(body: str, rows: Sequence[Row]) -> str:
    """Replace the decision blocks (first block's heading to the end of the last one) with
    ``rows``. A block whose content did not change keeps its text exactly as written, so
    untouched decisions keep their wrapping (and their content hash). Text before the blocks
    and after them (the repeat note) stays."""
    lines = body.split("\n")
    starts = [i for i, line in enumerate(lines) if _DECISION.match(line)]
    if not starts:
        blocks = "\n\n".join(render_decision(r) for r in rows)
        return "\n\n".join(p for p in (body.rstrip(), blocks) if p)
    end = _end_of_blocks(lines, starts[-1])
    bounds = [*starts, end]
    original = {}
    for begin, stop in itertools.pairwise(bounds):
        text = "\n".join(lines[begin:stop]).strip()
        parsed = read_decisions(text)
        if parsed:
            original[_frozen(parsed[0])] = text
    blocks = "\n\n".join(original.get(_frozen(r)) or render_decision(r) for r in rows)
    before = "\n".join(lines[: starts[0]]).rstrip()
    after = "\n".join(lines[end:]).strip()
    return "\n\n".join(p for p in (before, blocks, after) if p)


def _frozen(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in row.items() if v))


def _end_of_blocks(lines: Sequence[str], last_start: int) -> int:
    for i in range(last_start + 1, len(lines)):
        if _REPEAT_NOTE.match(lines[i]) or lines[i].startswith("#"):
            return i
    return len(lines)
