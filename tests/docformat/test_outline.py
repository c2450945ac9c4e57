"""content_outline: what "render keeps the content" compares, and what it ignores."""

from __future__ import annotations

import pytest

from signoff.docformat import content_outline, same_content


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("## 3 Foo\n", "## 3. Foo\n"),
        ("## Appendix A - X\n", "## Appendix A: X\n"),
        ("Foo\n---\n", "## Foo\n"),
        ("a\nb   c\n", "a b c\n"),
        ("| A | B |\n|:-|-:|\n|1|2|\n", "| A | B |\n| --- | --- |\n| 1 | 2 |\n"),
        ("- a\n- b\n", "- a\n\n- b\n"),
        ("```py\nx = 1   \n```\n", "```py\nx = 1\n```\n"),
        ("text\n\n---\n\nmore\n", "text\n\nmore\n"),
        (
            "# Design Document: A\n\n## Document Control\n\n"
            "| Field | Value |\n|--|--|\n| Version | 1 |\n\nx\n",
            "x\n",
        ),
        ("---\ntitle: a\n---\n\n## 1. A\n<!-- signoff:section id=x -->\n", "## 1. A\n"),
    ],
)
def test_normalizations(a: str, b: str) -> None:
    assert same_content(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("## 3. Foo\n", "### 3. Foo\n"),
        ("## 3. Foo\n", "## 4. Foo\n"),
        ("a b c\n", "a b d\n"),
        ("[x](https://a.example)\n", "[x](https://b.example)\n"),
        ("| A |\n|---|\n| 1 |\n", "| A |\n|---|\n| 2 |\n"),
        ("```py\nx\n```\n", "```js\nx\n```\n"),
        ("  x\n", "    x\n"),
        ("- a\n  - b\n", "- a\n- b\n"),
        ("1. a\n", "3. a\n"),
        ("<!-- a -->\n", "<!-- b -->\n"),
        ("> quoted\n", "quoted\n"),
    ],
)
def test_real_differences(a: str, b: str) -> None:
    assert not same_content(a, b)


def test_outline_items() -> None:
    assert content_outline("## 1. Intro\n\nSee [docs](https://x.example).\n\n- a\n") == (
        ("heading", 2, "1", "Intro"),
        ("paragraph", "See [docs](https://x.example)."),
        ("link", "https://x.example"),
        ("list", "bullet", None),
        ("item", None),
        ("paragraph", "a"),
        ("end-item", None),
        ("end-list", None),
    )
