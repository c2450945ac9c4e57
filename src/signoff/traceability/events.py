"""What the traceability domain says happened (``core.events.Event``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ApiSpecAttached(Event):
    """An OpenAPI document was attached to a document's revision: how its operations changed."""

    TYPE = "traceability.spec_attached"

    document: str
    number: int
    operations: int
    added: int
    removed: int
    changed: int


@dataclass(frozen=True, kw_only=True)
class TestReportAttached(Event):
    """A JUnit report was attached to a document's revision: its cases by outcome."""

    TYPE = "traceability.tests_attached"
    __test__ = False  # not a pytest test class, whatever its name

    document: str
    number: int
    outcomes: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class TraceLinkEvent(Event):
    """A trace link's event, with its ends as ``kind:ref``."""

    document: str
    link_id: uuid.UUID
    source: str
    target: str


@dataclass(frozen=True, kw_only=True)
class TraceLinkChanged(TraceLinkEvent):
    """``trace_links.created`` or ``trace_links.deleted``."""

    TYPE = "trace_links.{change}"
    NAMED_BY = ("change",)

    change: Literal["created", "deleted"]


@dataclass(frozen=True, kw_only=True)
class TraceLinkConfirmed(TraceLinkEvent):
    """Someone confirmed a suspect link still holds (``note`` None when they gave none)."""

    TYPE = "trace_links.confirmed"

    note: str | None


@dataclass(frozen=True, kw_only=True)
class TraceLinkSuspected(TraceLinkEvent):
    """An end of the link changed since it was made or last confirmed."""

    TYPE = "trace_links.suspected"

    reason: str
