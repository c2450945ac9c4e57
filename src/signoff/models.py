"""Every table's model, imported in one place so the metadata is complete.

Alembic's autogenerate and ``signoff db check`` compare this metadata with the database.
"""

from signoff.core.db import Base
from signoff.core.events import OutboxEvent
from signoff.core.idempotency import IdempotencyRecord

metadata = Base.metadata

__all__ = ["IdempotencyRecord", "OutboxEvent", "metadata"]
