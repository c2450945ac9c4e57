"""What a notice says, composed without a database: links, long section lists, headers."""

from __future__ import annotations

import uuid

import pytest

from signoff.notify.directory import DocumentRef, Person
from signoff.notify.messages import Links, question_overdue, review_requested, verdict_arrived

pytestmark = pytest.mark.requirement("REQ-026")

DOC = DocumentRef(uuid.uuid4(), "DD-3", "Parcel\nTracking API", "acme")
SAM = Person(uuid.uuid4(), "sam@example.com", "Sam")
SUBMITTED = {"round": 2, "version": "0.4", "required_approvals": 2}


def test_links_are_absolute_with_a_public_url() -> None:
    assert Links().approval(DOC) == "/v1/orgs/acme/documents/DD-3/approval"
    public = Links("https://signoff.example.com/")
    assert public.question(DOC, "q1") == (
        "https://signoff.example.com/v1/orgs/acme/documents/DD-3/questions/q1"
    )


def test_a_subject_stays_on_one_line() -> None:
    notice = review_requested(DOC, SUBMITTED, SAM, asked=True, owned={}, link="/x")
    assert notice.subject == "Review requested: DD-3 Parcel Tracking API (0.4)"
    assert notice.body.startswith("Hello Sam,\n\n")
    assert "Approvals required: 2." in notice.body
    assert notice.body.endswith(
        "-- \nSignoff: you are asked to review the document, or are in "
        "a team that owns sections of it.\n"
    )


def test_a_long_list_of_owned_sections_is_cut() -> None:
    numbers = [f"7.{n}" for n in range(1, 21)]
    notice = review_requested(
        DOC, SUBMITTED, SAM, asked=False, owned={"security": numbers}, link="/x"
    )
    assert "Your team security owns §7.1, §7.2," in notice.body
    assert "§7.12 and 8 more: the document needs its approval of them." in notice.body
    assert "§7.13" not in notice.body


def test_a_verdict_names_what_it_covers() -> None:
    data = {
        "verdict": "request_changes",
        "reviewer": "Dee",
        "revision": 5,
        "whole_document": False,
        "sections": [{"section_id": "s-1", "number": "6.1"}, {"section_id": "s-2", "number": None}],
    }
    notice = verdict_arrived(DOC, data, SAM, "/approval")
    assert notice.subject == "DD-3 Parcel Tracking API: changes requested by Dee"
    assert notice.body.startswith("Hello Sam,\n\nDee reviewed DD-3 ")
    assert "at revision 5: changes requested." in notice.body
    assert "The verdict covers §6.1, §s-2." in notice.body


def test_an_overdue_question_is_quoted() -> None:
    data = {"question": "Which queue?", "target_date": "2026-11-15"}
    notice = question_overdue(DOC, data, SAM, "/q")
    assert notice.subject == "Overdue question in DD-3 Parcel Tracking API"
    assert "passed its target date, 2026-11-15, and is still open" in notice.body
    assert "\n    Which queue?\n" in notice.body
