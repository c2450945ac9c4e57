"""Typed events serialize at the outbox into the envelope consumers already know: ids and
times as strings, the same keys in the same order."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from signoff.registers.events import QuestionOverdue, RegisterItemChanged
from signoff.review.events import ApprovalExpired


def test_a_typed_event_carries_the_wire_format_of_its_named_predecessor() -> None:
    org, item = uuid.uuid4(), uuid.uuid4()
    overdue = QuestionOverdue(
        org_id=org,
        subject="documents/DD-1",
        document="DD-1",
        item_id=item,
        question="Which queue?",
        owner=None,
        target_date=date(2026, 1, 31),
    )
    assert overdue.type == "questions.overdue"
    assert list(overdue.data().items()) == [
        ("document", "DD-1"),
        ("item_id", str(item)),
        ("question", "Which queue?"),
        ("owner", None),
        ("target_date", "2026-01-31"),
    ]
    changed = RegisterItemChanged(
        org_id=org,
        subject="documents/DD-1",
        register="open_questions",
        change="deleted",
        document="DD-1",
        item_id=item,
        key="Q-1",
    )
    assert changed.type == "registers.open_questions.deleted"
    assert changed.data() == {"document": "DD-1", "item_id": str(item), "key": "Q-1"}
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    expired = ApprovalExpired(
        org_id=org,
        subject="documents/DD-1",
        document_id=item,
        key="DD-1",
        version="1.0",
        approved_at=at,
        max_age_days=90,
    )
    assert expired.data() == {
        "document_id": str(item),
        "key": "DD-1",
        "version": "1.0",
        "approved_at": at.isoformat(),
        "max_age_days": 90,
    }
