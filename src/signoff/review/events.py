"""What the review domain says happened (``core.events.Event``). Its other events are
still recorded by name (issue 15: the rest move here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ApprovalExpired(Event):
    """An approval passed its organization's maximum age; the document keeps it, flagged."""

    TYPE = "approvals.expired"

    document_id: uuid.UUID
    key: str
    version: str
    approved_at: datetime | None
    max_age_days: int
