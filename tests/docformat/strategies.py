"""Hypothesis strategies: Markdown a user might write, and documents built from values."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from signoff.docformat import DocumentControl, ParsedDocument, Section, Table, YamlValue
from signoff.docformat.headings import title_key

# Non-ASCII letters that ftfy leaves alone: the normalizer must not change generated text.
LETTERS = string.ascii_letters + "éüßøç"
WORD = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(LETTERS),
    st.text(alphabet=LETTERS + string.digits, max_size=7),
)
_NULL_WORDS = {"", "~", "null", "Null", "NULL"}


@st.composite
def inline(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                WORD,
                WORD.map(lambda w: f"**{w}**"),
                WORD.map(lambda w: f"`{w} | {w}`"),
                WORD.map(lambda w: f"[{w}](https://example.com/{w})"),
                st.sampled_from(["§", "–", "&", "(x)", "a/b", "50%", "\\|"]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return " ".join(parts)


def title() -> st.SearchStrategy[str]:
    words = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
    return words.filter(lambda t: title_key(t) != "document control")


@st.composite
def table_markdown(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 4))
    cell = st.one_of(st.just(""), inline())
    header = [draw(WORD) for _ in range(width)]
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=3))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join([":---"] * width) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


@st.composite
def fence(draw: st.DrawFn) -> str:
    lines = draw(
        st.lists(st.one_of(inline(), st.just("## 3. Not a heading"), st.just("  | a | b |")))
    )
    info = draw(st.sampled_from(["", "python", "mermaid"]))
    return "\n".join([f"```{info}", *lines, "```"])


def block() -> st.SearchStrategy[str]:
    items = st.lists(inline(), min_size=1, max_size=3)
    return st.one_of(
        st.lists(inline(), min_size=1, max_size=3).map("\n".join),
        items.map(lambda xs: "\n".join(f"- {x}" for x in xs)),
        items.map(lambda xs: "\n".join(f"{i}. {x}" for i, x in enumerate(xs, 1))),
        st.tuples(inline(), inline()).map(lambda p: f"- {p[0]}\n  - {p[1]}"),
        inline().map(lambda x: f"> {x}"),
        table_markdown(),
        fence(),
        WORD.map(lambda w: f"#### Decision 2: {w}"),
        WORD.map(lambda w: f"##### 1. {w}"),
        st.just("<!-- a note -->"),
        st.sampled_from(["---", "***"]),
    )


def body() -> st.SearchStrategy[str]:
    return st.lists(block(), max_size=4).map("\n\n".join)


@st.composite
def user_heading(draw: st.DrawFn) -> str:
    """A section heading in one of the forms people write."""
    text = draw(title())
    top, sub = draw(st.integers(1, 19)), draw(st.integers(1, 9))
    return draw(
        st.sampled_from(
            [
                f"## {top}. {text}",
                f"## {top} {text}",
                f"### {top}.{sub} {text}",
                f"### {top}.{sub}. {text}",
                f"#### {top}.{sub}.1 {text}",
                f"## Appendix C - {text}",
                f"### C.{sub} {text}",
                f"## {text}",
                f"### {text}",
                f"{text}\n---",
            ]
        )
    )


@st.composite
def user_document(draw: st.DrawFn) -> str:
    """Markdown as a user might write it on the template, quirks included."""
    parts = []
    if draw(st.booleans()):
        parts.append(f"---\ntitle: {draw(WORD)}\nversion: '1.{draw(st.integers(0, 20))}'\n---")
    if draw(st.booleans()):
        parts.append(f"# Design Document: {draw(title())}")
    if draw(st.booleans()):
        parts.append("## Document Control\n\n| Field | Value |\n|---|---|\n| Status | Draft |")
    if draw(st.booleans()):
        parts.append(draw(st.lists(inline(), min_size=1, max_size=2).map("\n".join)))
    for _ in range(draw(st.integers(0, 6))):
        parts.append(draw(user_heading()))
        if draw(st.booleans()):
            parts.append(f"<!-- signoff:section id={draw(section_id())} -->")
        parts.append(draw(body()))
    return "\n\n".join(p for p in parts if p) + "\n"


def section_id() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,40}", fullmatch=True)


def _scalar() -> st.SearchStrategy[str]:
    alphabet = LETTERS + string.digits + " .:-#'\"[]{},&*!|>%@`"
    text = st.text(alphabet=alphabet, max_size=20).map(str.strip)
    return text.filter(lambda t: t not in _NULL_WORDS)


def _yaml_value() -> st.SearchStrategy[YamlValue]:
    return st.recursive(
        _scalar(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(_scalar(), inner, max_size=3)
        ),
        max_leaves=6,
    )


@st.composite
def control(draw: st.DrawFn) -> DocumentControl:
    optional = st.one_of(st.none(), _scalar().filter(bool))
    names = st.lists(_scalar().filter(bool), max_size=3).map(tuple)
    standard = {"title", "key", "version", "status", "authors", "reviewers", "template"}
    extra_keys = _scalar().filter(lambda k: k not in standard | {"last_updated"})
    return DocumentControl(
        title=draw(_scalar()),
        key=draw(optional),
        version=draw(optional),
        status=draw(optional),
        authors=draw(names),
        reviewers=draw(names),
        template=draw(optional),
        last_updated=draw(optional),
        extra=draw(st.dictionaries(extra_keys, _yaml_value(), max_size=3)),
    )


@st.composite
def section(draw: st.DrawFn) -> Section:
    level = draw(st.integers(1, 5))
    top = draw(st.sampled_from(["1", "7", "12", "A"]))
    dotted = f"{top}.{draw(st.integers(1, 9))}"
    choices = [dotted, f"{dotted}.3"] if level >= 4 else [None, top, dotted]
    number = draw(st.sampled_from(choices))
    blocks = draw(st.lists(block(), max_size=3))
    while blocks and blocks[-1] in ("---", "***"):
        blocks.pop()
    sid = draw(st.one_of(st.none(), section_id()))
    bound = (
        draw(st.sampled_from([None, "3.3", "A.1", "/summary", "/proposal/user-stories"]))
        if sid
        else None
    )
    return Section(number, draw(title()), level, "\n\n".join(blocks), sid, bound)


@st.composite
def document(draw: st.DrawFn) -> ParsedDocument:
    """A document built from values (not from parsing), as the server would build one."""
    preamble = draw(st.lists(inline(), max_size=2).map("\n\n".join))
    return ParsedDocument(draw(control()), tuple(draw(st.lists(section(), max_size=6))), preamble)


@st.composite
def table(draw: st.DrawFn) -> Table:
    """Tables with canonical cells: stripped, one line, code spans balanced."""
    width = draw(st.integers(1, 4))
    cell = st.one_of(
        st.just(""),
        inline(),
        st.sampled_from(["a|b", "\\", "a\\|b", "`x|y`", "<br>", "x\\\\|y", "é"]),
    )
    rows = draw(st.lists(st.tuples(*[cell] * width), max_size=4))
    return Table(tuple(draw(st.lists(WORD, min_size=width, max_size=width))), tuple(rows))
