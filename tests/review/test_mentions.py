"""The names a comment is indexed under: every name the inbox's exact rule could find in
it (a superset; the inbox confirms each candidate), so the index never hides a mention."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from signoff.core.config import DatabaseSettings
from signoff.core.db import create_engine
from signoff.migrations.runner import downgrade_on, upgrade_on
from signoff.review.attention import mention_pattern
from signoff.review.mentions import MAX_HANDLES, handles, names_of
from signoff.review.models import CommentMention
from tests.review.support import cast, import_filled

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


async def test_the_migration_indexes_existing_comments_as_writing_them_does(
    live: httpx.AsyncClient, live_database: DatabaseSettings
) -> None:
    """Comments written (and indexed) through the API; the index dropped by going back to
    0017 and rebuilt by 0018's backfill: the same rows."""
    people = await cast(live)
    key = await import_filled(live, people)
    sam, dee = people.security.email, people.dba.email
    for body in (f"@{sam.partition('@')[0]} look", f"cc @{dee}", "no mention"):
        created = await live.post(
            people.doc(key, "/comments"),
            json={"section": "7.1", "body": body},
            headers=people.author.headers,
        )
        assert created.status_code == 201, created.text
    reply = await live.post(
        people.doc(key, f"/comments/{created.json()['id']}/replies"),
        json={"body": f"@{sam} too"},
        headers=people.author.headers,
    )
    assert reply.status_code == 201, reply.text
    url = live_database.url.get_secret_value()
    engine = create_engine(url, DatabaseSettings(url=url))
    query = select(CommentMention.thread_id, CommentMention.handle, CommentMention.org_id)
    try:
        async with engine.connect() as conn:
            written = set((await conn.execute(query)).all())
        assert len(written) == 3  # sam's local part; dee's email; sam's email, in a reply
        async with engine.begin() as conn:
            await conn.run_sync(downgrade_on, "0017")
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_on)
        async with engine.connect() as conn:
            assert set((await conn.execute(query)).all()) == written
    finally:
        await engine.dispose()
