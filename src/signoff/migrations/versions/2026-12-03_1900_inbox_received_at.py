"""inbox retention: an index on when each inbound event id was received, for the purge

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The hourly purge (inbound/retention.py) finds old entries by this column.
    op.create_index("ix_inbox_entry_received_at", "inbox_entry", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_entry_received_at", table_name="inbox_entry")
