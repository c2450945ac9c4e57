"""Row 6 of issue 11, the targets tests/docformat and tests/traceability do not fuzz
already: front matter, and the register table codec. Any text is parsed or refused with a
DocFormatError, never anything else, and what the codec writes it reads back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from signoff.docformat import DocFormatError
from signoff.docformat.frontmatter import parse_front_matter, split_front_matter
from signoff.registers.codec import read_decisions, read_rows, write_rows
from signoff.registers.kinds import TABLE_KINDS
from tests.docformat.test_fuzz import _TEXT
from tests.support.proof import fuzzing

_YAMLISH = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(
            ["---\n", "title: ", "status: ", "authors: ", "- ", "[", "{", "&a ", "*a", "!!", "\n"]
        ),
    ),
    max_size=30,
).map("".join)


@fuzzing(150)
@given(text=st.one_of(st.text(), _TEXT, _YAMLISH.map(lambda y: f"---\n{y}\n---\n# T\n")))
def test_front_matter(text: str) -> None:
    refusal: DocFormatError | None = None
    try:
        split = split_front_matter(text)
        if split.yaml_text is not None:
            parse_front_matter(split.yaml_text)
    except DocFormatError as error:
        refusal = error
    assert refusal is None or refusal.message


@fuzzing(150)
@given(kind=st.sampled_from(TABLE_KINDS), body=st.one_of(st.text(), _TEXT))
def test_register_tables(kind: object, body: str) -> None:
    rows = read_rows(kind, body)  # type: ignore[arg-type]
    assert read_rows(kind, write_rows(kind, body, rows)) == rows  # type: ignore[arg-type]
    read_decisions(body)
