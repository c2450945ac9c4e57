"""Every table's model, imported in one place so the metadata is complete.

Alembic's autogenerate and ``signoff db check`` compare this metadata with the database.
"""

from signoff.accounts import models as accounts_models
from signoff.audit import models as audit_models
from signoff.core.db import Base
from signoff.core.events import OutboxEvent
from signoff.core.idempotency_records import IdempotencyRecord
from signoff.documents import models as documents_models
from signoff.inbound import models as inbound_models
from signoff.notify import models as notify_models
from signoff.orgs import models as orgs_models
from signoff.registers import models as registers_models
from signoff.review import models as review_models
from signoff.templates import models as templates_models
from signoff.traceability import models as traceability_models
from signoff.webhooks import models as webhooks_models

metadata = Base.metadata

__all__ = [
    "IdempotencyRecord",
    "OutboxEvent",
    "accounts_models",
    "audit_models",
    "documents_models",
    "inbound_models",
    "metadata",
    "notify_models",
    "orgs_models",
    "registers_models",
    "review_models",
    "templates_models",
    "traceability_models",
    "webhooks_models",
]
