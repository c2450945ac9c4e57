"""state checks: document and revision status, review round outcome, review verdict

The code only ever writes these values; the database now refuses any other, as it already
did for webhook, delivery, notice and membership states. An upgrade over rows that break
the rule fails (and changes nothing): such rows are corruption to look at, not to keep.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'draft', 'in_review', 'approved'"
CHECKS = [
    ("document", "status", f"status IN ({STATUSES})"),
    ("revision", "status", f"status IN ({STATUSES})"),
    ("review_round", "outcome", "outcome IN ('open', 'approved', 'withdrawn')"),
    ("review", "verdict", "verdict IN ('approve', 'request_changes', 'comment')"),
]


def upgrade() -> None:
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
