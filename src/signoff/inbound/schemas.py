"""Bodies of the inbound routes, and the requirement event an upstream system sends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from signoff.core.bounds import DB_INT_MAX

EventType = Literal["requirement.created", "requirement.updated", "requirement.retired"]


class SourceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Jama"])


class SourceRead(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None


class SourceCreated(SourceRead):
    secret: str = Field(
        description="`whsec_...`: sign events with it (Standard Webhooks). Shown only here."
    )


class RequirementData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200, description="The upstream's own id.")
    document: str = Field(min_length=1, max_length=50, description="`DD-3`: where it goes.")
    requirement_id: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$",
        description="Its id in §1.3 (`REQ-007`).",
    )
    summary: str | None = Field(default=None, min_length=1, max_length=2000)
    design_sections: list[str] | None = Field(default=None, max_length=50)


class RequirementEvent(BaseModel):
    """`{id, type, occurred_at, version?, data}`. The `id` is the `webhook-id` header."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    type: EventType
    occurred_at: AwareDatetime
    version: int | None = Field(
        default=None,
        ge=0,
        le=DB_INT_MAX,
        description="Increases with every change of the requirement upstream; without it, "
        "`occurred_at` orders the events.",
    )
    data: RequirementData


class InboundResult(BaseModel):
    outcome: Literal["applied", "duplicate", "stale"] = Field(
        description="duplicate: this event id was processed before; stale: a newer version "
        "of the requirement was already applied."
    )
    event_id: str
    document: str
    requirement_id: str
    revision: int | None = Field(description="The document's head revision afterwards.")
