"""org request limits: an organization's admin sets its own budgets of requests per minute

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_request_limit",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("reads_per_minute", sa.Integer(), nullable=True),
        sa.Column("writes_per_minute", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_org_request_limit_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_request_limit")),
    )


def downgrade() -> None:
    op.drop_table("org_request_limit")
