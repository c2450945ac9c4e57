"""outbox traceparent: an event keeps the trace context of the write that recorded it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("outbox_event", "email_notice")


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing, and earlier events have no trace.
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("traceparent")
