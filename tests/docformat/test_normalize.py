"""normalize_text: BOM, line endings, surrogates and mojibake, idempotently."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signoff.docformat import normalize_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Â§X.X", "§X.X"),
        ("cafÃ©", "café"),
        ("ÃƒÂ©", "é"),
        ("â€“ and â€œquotedâ€\x9d", "– and “quoted”"),
        ("\ufeffa\r\nb\rc", "a\nb\nc"),
        ("x\ud800y", "x\ufffdy"),
    ],
)
def test_repairs(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


@pytest.mark.parametrize("text", ["“É”", "Fuß–Ball", "São Ã", "aÂ 0", "naïve — ½", "日本語"])
def test_leaves_real_text_alone(text: str) -> None:
    assert normalize_text(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ÂÃâï©§€™œ\x80\x9d\xa0\ufffdÀé \na"), max_size=12)
    | st.text(max_size=12)
)
def test_idempotent_and_keeps_line_count(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once.count("\n") == text.replace("\r\n", "\n").replace("\r", "\n").count("\n")
