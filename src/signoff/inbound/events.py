"""What the inbound domain says happened (``core.events.Event``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class SourceChanged(Event):
    """An inbound source was registered or revoked (``inbound.source_<change>``); never its
    secret."""

    TYPE = "inbound.source_{change}"
    NAMED_BY = ("change",)

    change: Literal["created", "revoked"]
    source_id: uuid.UUID
    name: str


@dataclass(frozen=True, kw_only=True)
class RequirementApplied(Event):
    """A signed requirement event from an upstream system changed the §1.3 register."""

    TYPE = "inbound.requirement_applied"

    source_id: uuid.UUID
    event_id: str
    type_: str  # the upstream event's type (``requirement.created``...), ``type`` on the wire
    external_id: str
    document: str
    requirement_id: str

    def data(self) -> dict[str, object]:
        return {
            "source_id": str(self.source_id),
            "event_id": self.event_id,
            "type": self.type_,
            "external_id": self.external_id,
            "document": self.document,
            "requirement_id": self.requirement_id,
        }
