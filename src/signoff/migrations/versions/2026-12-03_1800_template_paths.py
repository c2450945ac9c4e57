"""template paths: a section's template key may be a heading path, not only a number

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Unnumbered template sections are identified by heading path (ADR 0022), which can be
    # longer than a section number.
    with op.batch_alter_table("section_version") as batch:
        batch.alter_column(
            "template_number",
            existing_type=sa.String(length=32),
            type_=sa.String(length=255),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("section_version") as batch:
        batch.alter_column(
            "template_number",
            existing_type=sa.String(length=255),
            type_=sa.String(length=32),
            existing_nullable=True,
        )
