"""What the traceability domain says happened (``core.events.Event``)."""

from __future__ import annotations

from dataclasses import dataclass

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
