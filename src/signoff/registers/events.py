"""What the registers domain says happened (``core.events.Event``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from signoff.core.events import Event

ItemChange = Literal["created", "updated", "deleted"]


@dataclass(frozen=True, kw_only=True)
class QuestionOverdue(Event):
    """An open question passed its target date (once per date)."""

    TYPE = "questions.overdue"

    document: str
    item_id: uuid.UUID
    question: str
    owner: str | None
    target_date: date


@dataclass(frozen=True, kw_only=True)
class RegisterItemChanged(Event):
    """A row of a register was created, updated or deleted (``registers.<kind>.<change>``)."""

    TYPE = "registers.{register}.{change}"
    NAMED_BY = ("register", "change")

    register: str  # the kind's event name: requirements, decisions, risks, questions, ...
    change: ItemChange
    document: str
    item_id: uuid.UUID
    key: str
