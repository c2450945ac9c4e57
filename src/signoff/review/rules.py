"""When a review round is approved: a pure function of the round's state.

Kept free of the database so that the rules read in one place, the approval endpoint shows
exactly what the completion check decides, and the model-based test can hold the server to
an independent statement of the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """A reviewer's standing verdict: their latest approve or request_changes in the round
    (comments do not change a verdict), unless an edit dismissed it."""

    review_id: uuid.UUID
    reviewer_id: uuid.UUID
    reviewer: str
    verdict: str
    covered: Mapping[str, str]  # section id -> the content hash the reviewer saw
    whole_document: bool


@dataclass(frozen=True)
class RoundState:
    sections: Mapping[str, str]  # section id -> current content hash, at the head
    numbers: Mapping[str, str | None]  # section id -> number, for messages
    owners: Mapping[str, Sequence[str]]  # team slug -> ids of the sections it owns
    team_members: Mapping[str, frozenset[uuid.UUID]]  # team slug -> member ids
    reviewer_users: frozenset[uuid.UUID]  # asked for by the document
    reviewer_teams: frozenset[str]
    authors: frozenset[uuid.UUID]
    required_approvals: int
    verdicts: Sequence[Verdict]
    blocking_threads: Sequence[uuid.UUID] = ()
    blocking_questions: Sequence[str] = ()


@dataclass(frozen=True)
class Missing:
    code: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    counted: tuple[Verdict, ...]  # approvals that count now
    missing: tuple[Missing, ...]
    satisfied_teams: tuple[str, ...]

    @property
    def met(self) -> bool:
        return not self.missing


def counts(state: RoundState, verdict: Verdict) -> bool:
    """An approval counts when its reviewer is not an author and every section it covers is
    still exactly as they saw it (dismissal makes that so; this checks it again)."""
    return (
        verdict.verdict == "approve"
        and verdict.reviewer_id not in state.authors
        and all(state.sections.get(s) == h for s, h in verdict.covered.items())
        and (not verdict.whole_document or set(verdict.covered) == set(state.sections))
    )


def evaluate(state: RoundState) -> Evaluation:
    counted = tuple(v for v in state.verdicts if counts(state, v))
    missing: list[Missing] = []
    satisfied: list[str] = []
    for team, owned in state.owners.items():
        members = state.team_members.get(team, frozenset())
        if any(v.reviewer_id in members and set(owned) <= set(v.covered) for v in counted):
            satisfied.append(team)
        else:
            numbers = [state.numbers.get(s) or s for s in owned]
            missing.append(
                Missing(
                    "team_approval_missing",
                    f"Team '{team}' has not approved its sections: "
                    + ", ".join(f"§{n}" for n in numbers)
                    + ".",
                    {"team": team, "sections": list(owned)},
                )
            )
    whole = [v for v in counted if set(v.covered) == set(state.sections)]
    for team in sorted(state.reviewer_teams - set(state.owners)):
        members = state.team_members.get(team, frozenset())
        if any(v.reviewer_id in members for v in whole):
            satisfied.append(team)
        else:
            missing.append(
                Missing(
                    "team_approval_missing",
                    f"Team '{team}' is a reviewer and has not approved the document.",
                    {"team": team, "sections": list(state.sections)},
                )
            )
    approvers = {v.reviewer_id for v in counted}
    for user in sorted(state.reviewer_users - state.authors - {v.reviewer_id for v in whole}):
        missing.append(
            Missing(
                "reviewer_approval_missing",
                "A requested reviewer has not approved the document.",
                {"user_id": str(user)},
            )
        )
    if len(approvers) < state.required_approvals:
        missing.append(
            Missing(
                "approvals_needed",
                f"{len(approvers)} of {state.required_approvals} required approvals.",
                {"have": len(approvers), "required": state.required_approvals},
            )
        )
    for v in state.verdicts:
        if v.verdict == "request_changes":
            missing.append(
                Missing(
                    "changes_requested",
                    f"{v.reviewer} requested changes.",
                    {"user_id": str(v.reviewer_id), "review_id": str(v.review_id)},
                )
            )
    for thread in state.blocking_threads:
        missing.append(
            Missing(
                "blocking_thread_open",
                "A blocking comment thread is not resolved.",
                {"comment_id": str(thread)},
            )
        )
    for question in state.blocking_questions:
        missing.append(
            Missing(
                "blocking_question_open",
                f"The blocking question '{question}' is open.",
                {"question": question},
            )
        )
    return Evaluation(counted, tuple(missing), tuple(satisfied))
