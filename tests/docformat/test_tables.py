"""parse_tables / render_table: GFM tables with Signoff's cell rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signoff.docformat import Table, parse_tables, render_table
from signoff.docformat.markdown import full_parser
from signoff.docformat.tables import split_row

from .strategies import inline, table


def test_basic_table_with_line() -> None:
    (found,) = parse_tables("Intro\n\n| A | B |\n|---|:-:|\n| 1 | 2 |\n| 3 | 4 |\n")
    assert found == Table(("A", "B"), (("1", "2"), ("3", "4")))
    assert found.line == 3


def test_ragged_rows_are_padded_or_cut() -> None:
    (found,) = parse_tables("| A | B | C |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | 4 |\n")
    assert found.rows == (("1", "", ""), ("1", "2", "3"))


def test_outer_pipes_are_optional() -> None:
    (found,) = parse_tables("A | B\n--- | ---\n1 | 2\n")
    assert found == Table(("A", "B"), (("1", "2"),))


@pytest.mark.parametrize(
    ("row", "cells"),
    [
        ("| a \\| b | c |", ["a | b", "c"]),
        ("| `x|y` | z |", ["`x|y`", "z"]),
        ("| `x\\|y` | z |", ["`x|y`", "z"]),
        ("| ``a`|`b`` | c |", ["``a`|`b``", "c"]),
        ("| `open | c |", ["`open", "c"]),
        ("| \\`x | y` |", ["\\`x", "y`"]),
        ("| a\\\\|b |", ["a\\|b"]),
        ("| trailing \\ | x |", ["trailing \\", "x"]),
        ("|  | x |", ["", "x"]),
    ],
)
def test_cell_splitting(row: str, cells: list[str]) -> None:
    assert split_row(row) == cells


def test_only_top_level_tables_outside_code() -> None:
    text = "```\n| A | B |\n|---|---|\n```\n\n> | C | D |\n> |---|---|\n\n| E |\n|---|\n| 1 |\n"
    assert parse_tables(text) == [Table(("E",), (("1",),))]


def test_canonical_rendering() -> None:
    rendered = render_table(
        Table(
            ("Risk", "Mitigation"),
            (("a|b", ""), ("`x|y`", "line\nbreak"), ("`", "ok"), ("`", "ok`")),
        )
    )
    # A stray backtick is escaped only where a later one would close it across the `|`.
    assert rendered == (
        "| Risk | Mitigation |\n"
        "| --- | --- |\n"
        "| a\\|b | |\n"
        "| `x\\|y` | line<br>break |\n"
        "| ` | ok |\n"
        "| \\` | ok\\` |"
    )


def test_rows_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match="as many cells"):
        Table(("A", "B"), (("1",),))
    with pytest.raises(ValueError, match="at least one column"):
        Table(())


def test_column_lookup_ignores_case_and_spacing() -> None:
    found = Table(("Requirement  ID", "Design Section"))
    assert found.column("requirement id") == 0
    assert found.column("owner", "design section") == 1
    assert found.column("owner") is None


@settings(max_examples=200, deadline=None)
@given(value=table())
def test_render_then_parse_gives_the_table_back(value: Table) -> None:
    assert parse_tables(render_table(value)) == [value]


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.one_of(inline(), st.text(max_size=6)), min_size=1, max_size=4))
def test_rendered_cells_keep_their_boundaries_for_markdown_it_too(cells: list[str]) -> None:
    """Any cell text, even unbalanced backticks, stays in its own cell in both readers."""
    value = Table(tuple(f"C{i}" for i in range(len(cells))), (tuple(cells),))
    rendered = render_table(value)
    (parsed,) = parse_tables(rendered)
    assert len(parsed.rows) == 1
    tokens = full_parser(16).parse(rendered)
    assert sum(1 for t in tokens if t.type == "td_open") == len(cells)
    assert parse_tables(render_table(parsed)) == [parsed]
