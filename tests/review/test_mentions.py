"""The names a comment is indexed under: every name the inbox's exact rule could find in
it (a superset; the inbox confirms each candidate), so the index never hides a mention."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from signoff.review.attention import mention_pattern
from signoff.review.mentions import MAX_HANDLES, handles, names_of

EMAILS = ["ann@example.com", "a.b@x.io", "a+b@x.io", "a-b@x.io", "a_b@x.io", "Ann@Example.com"]
# Text made of what decides a mention: name characters, separators, `@`, dots.
TEXT = st.text(alphabet="annbexampl.com@+-_ xio(),\n", max_size=40)


@given(TEXT, st.sampled_from(EMAILS))
@settings(max_examples=3000)
def test_every_exact_mention_is_indexed(text: str, email: str) -> None:
    if mention_pattern(email).search(text):
        assert set(names_of(email)) & handles(text), (text, email)


@given(TEXT, st.sampled_from(EMAILS))
@settings(max_examples=500)
def test_a_mention_inside_the_text_of_others_is_indexed_too(text: str, email: str) -> None:
    joined = f"see {text} and @{email} then @{email.partition('@')[0]}."
    assert mention_pattern(email).search(joined)
    assert set(names_of(email)) & handles(joined)


def test_examples() -> None:
    assert {"ann", "bob@example.com"} <= handles("hi @Ann, and @bob@example.com.")
    assert handles("@anna") == {"anna"}  # not `ann`: the rule lets no name end inside a word
    assert "ann" not in handles("mail ann@example.com")  # an email is no mention
    assert "ann" in handles("@x+@ann")  # an `@` inside another run starts its own
    assert handles("no mention here") == set()
    assert names_of("Ann@Example.com") == ["ann", "ann@example.com"]


def test_one_comment_indexes_a_bounded_number_of_names() -> None:
    assert len(handles(" ".join(f"@p{i}" for i in range(500)))) == MAX_HANDLES
