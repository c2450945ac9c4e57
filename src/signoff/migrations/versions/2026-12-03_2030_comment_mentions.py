"""comment mentions: the names each thread may mention, indexed, for the inbox

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from signoff.review.mentions import handles

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    mention = op.create_table(
        "comment_mention",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(length=254), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["comment_thread.id"],
            name=op.f("fk_comment_mention_thread_id_comment_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_comment_mention_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "handle", name=op.f("pk_comment_mention")),
    )
    op.create_index(
        "ix_comment_mention_org_id_handle", "comment_mention", ["org_id", "handle"], unique=False
    )
    _fill(mention)


def _fill(mention: sa.Table) -> None:
    """The names existing comments mention, by the rule new comments are indexed with (a
    pure function of the text: ``review/mentions.py``)."""
    conn = op.get_bind()
    thread = sa.table(
        "comment_thread",
        sa.column("id", sa.Uuid()),
        sa.column("org_id", sa.Uuid()),
        sa.column("body", sa.Text()),
    )
    reply = sa.table(
        "comment_reply", sa.column("thread_id", sa.Uuid()), sa.column("body", sa.Text())
    )
    found: dict[tuple[object, str], object] = {}
    for thread_id, org_id, body in conn.execute(
        sa.select(thread.c.id, thread.c.org_id, thread.c.body)
    ):
        found.update({(thread_id, h): org_id for h in handles(body)})
    orgs = dict(conn.execute(sa.select(thread.c.id, thread.c.org_id)).all())
    for thread_id, body in conn.execute(sa.select(reply.c.thread_id, reply.c.body)):
        found.update({(thread_id, h): orgs[thread_id] for h in handles(body)})
    rows = [{"thread_id": t, "handle": h, "org_id": o} for (t, h), o in found.items()]
    if rows:
        op.bulk_insert(mention, rows)


def downgrade() -> None:
    op.drop_index("ix_comment_mention_org_id_handle", table_name="comment_mention")
    op.drop_table("comment_mention")
