"""What a notice says: plain-text messages made from an event's payload. No I/O.

Each message says why its reader receives it, and points at the API resource to act on
(absolute when ``SIGNOFF_SERVER__PUBLIC_URL`` is set).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signoff.notify.directory import DocumentRef, Person

VERDICTS = {"approve": "approved", "request_changes": "changes requested", "comment": "commented"}
# A long list of owned sections is cut: the approval view has them all.
MAX_SECTIONS_LISTED = 12
SUBJECT_LENGTH = 300


@dataclass(frozen=True)
class Notice:
    to: Person
    subject: str
    body: str


@dataclass(frozen=True)
class Links:
    base: str = ""  # the public URL, or nothing: the path alone

    def approval(self, doc: DocumentRef) -> str:
        return f"{self._document(doc)}/approval"

    def question(self, doc: DocumentRef, item_id: str) -> str:
        return f"{self._document(doc)}/questions/{item_id}"

    def _document(self, doc: DocumentRef) -> str:
        return f"{self.base.rstrip('/')}/v1/orgs/{doc.org_slug}/documents/{doc.key}"


def review_requested(
    doc: DocumentRef,
    data: Mapping[str, Any],
    to: Person,
    *,
    asked: bool,
    owned: Mapping[str, Sequence[str]],
    link: str,
) -> Notice:
    title, version = _title(doc), data["version"]
    lines = [f"{title}, version {version}, is in review (round {data['round']}).", ""]
    if asked:
        lines.append("You are asked to review it.")
    lines += [
        f"Your team {team} owns {_sections(numbers)}: the document needs its approval of them."
        for team, numbers in sorted(owned.items())
    ]
    if data.get("required_approvals"):
        lines.append(f"Approvals required: {data['required_approvals']}.")
    lines += ["", f"What is approved and what is still missing: {link}"]
    reason = "you are asked to review the document, or are in a team that owns sections of it"
    return _notice(to, f"Review requested: {title} ({version})", lines, reason)


def verdict_arrived(doc: DocumentRef, data: Mapping[str, Any], to: Person, link: str) -> Notice:
    title, reviewer = _title(doc), data["reviewer"]
    verdict = VERDICTS.get(data["verdict"], data["verdict"])
    lines = [f"{reviewer} reviewed {title} at revision {data['revision']}: {verdict}."]
    if data.get("whole_document"):
        lines.append("The verdict covers the whole document.")
    elif data.get("sections"):
        numbers = [s.get("number") or s["section_id"] for s in data["sections"]]
        lines.append(f"The verdict covers {_sections(numbers)}.")
    lines += ["", f"The review round: {link}"]
    reason = "you are an author of the document"
    return _notice(to, f"{title}: {verdict} by {reviewer}", lines, reason)


def question_overdue(doc: DocumentRef, data: Mapping[str, Any], to: Person, link: str) -> Notice:
    title = _title(doc)
    lines = [
        f"A question you own in {title} passed its target date, {data['target_date']}, "
        "and is still open:",
        "",
        f"    {data['question']}",
        "",
        f"Answer it, or move its date: {link}",
    ]
    reason = "the question names you as its owner"
    return _notice(to, f"Overdue question in {title}", lines, reason)


def _notice(to: Person, subject: str, lines: list[str], reason: str) -> Notice:
    body = "\n".join([f"Hello {to.name},", "", *lines, "", "-- ", f"Signoff: {reason}.", ""])
    # A header is one line: a title with a line break must not split it.
    return Notice(to, " ".join(subject.split())[:SUBJECT_LENGTH], body)


def _title(doc: DocumentRef) -> str:
    return f"{doc.key} {doc.title}"


def _sections(numbers: Sequence[str]) -> str:
    listed = ", ".join(f"§{n}" for n in numbers[:MAX_SECTIONS_LISTED])
    more = len(numbers) - MAX_SECTIONS_LISTED
    return f"{listed} and {more} more" if more > 0 else listed
