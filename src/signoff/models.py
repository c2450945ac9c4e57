"""Every table's model, imported in one place so the metadata is complete.

Alembic's autogenerate and ``signoff db check`` compare this metadata with the database.
"""

from signoff.accounts import models as accounts_models
from signoff.audit import models as audit_models
from signoff.core.db import Base
from signoff.core.events import OutboxEvent
from signoff.core.idempotency import IdempotencyRecord
from signoff.orgs import models as orgs_models
from signoff.webhooks import models as webhooks_models

metadata = Base.metadata

__all__ = [
    "IdempotencyRecord",
    "OutboxEvent",
    "accounts_models",
    "audit_models",
    "metadata",
    "orgs_models",
    "webhooks_models",
]
