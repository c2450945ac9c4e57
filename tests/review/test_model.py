"""Model-based test of the review workflow (hypothesis stateful testing).

Random sequences of edits, verdicts (fresh and stale), comments, resolutions, submissions
and withdrawals run against the real app and database, next to a model of the rules written
here independently of the server's. After every step: the status and version are what the
model derives; versions only grow; no counted approval covers content other than the
current; no author's approval exists; every approved version reads as it did when approved.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from signoff.app import create_app
from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from tests.review.support import Cast, cast, import_filled, set_reviewers

pytestmark = pytest.mark.requirement("REQ-013")

ROLES = ("author", "security", "dba", "lead", "viewer")
EDITABLE = ("2.1", "6.1", "7.1", "7.2")


class World:
    """One app, one event loop and one cast for every example of a run."""

    def __init__(self, settings: Settings, database: DatabaseSettings) -> None:
        self.runner = asyncio.Runner()
        self.db = self.run(self._db(database))
        app = create_app(settings, database=self.db)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        self.people: Cast = self.run(cast(self.client))

    @staticmethod
    async def _db(database: DatabaseSettings) -> Database:
        return Database.from_settings(database)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.runner.run(coro)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.db.dispose())
        self.runner.close()


class ReviewModel(RuleBasedStateMachine):
    world: World
    threads = Bundle("threads")

    @initialize()
    def start(self) -> None:
        w, p = self.world, self.world.people
        self.key: str = w.run(import_filled(w.client, p))
        w.run(set_reviewers(w.client, p, self.key, [{"user_id": str(p.lead.user_id)}]))
        self.status = "draft"
        self.major, self.minor = 0, 2  # imported (0.1), reviewers set (0.2)
        self.seen_versions: list[tuple[int, int]] = []
        # role -> (verdict, {section id: hash}) standing in the open round
        self.verdicts: dict[str, tuple[str, dict[str, str]]] = {}
        self.open_blocking: set[str] = set()
        self.frozen: dict[str, str] = {}
        self.history: dict[int, dict[str, str]] = {}
        self.numbers: dict[str, str] = {}
        self._read_head()

    # --- talking to the server ---------------------------------------------------------

    def call(self, method: str, url: str, who: str = "author", **kw: Any) -> httpx.Response:
        actor = getattr(self.world.people, who)
        response: httpx.Response = self.world.run(
            self.world.client.request(
                method, url, headers=actor.headers | kw.pop("headers", {}), **kw
            )
        )
        assert response.status_code < 500, response.text
        return response

    def doc(self, suffix: str = "") -> str:
        return self.world.people.doc(self.key, suffix)

    def _read_head(self) -> dict[str, Any]:
        body: dict[str, Any] = self.call("GET", self.doc()).json()
        self.head = body["revision"]
        self.hashes = {s["id"]: s["content_hash"] for s in body["sections"]}
        self.numbers = {s["id"]: s["number"] or "" for s in body["sections"]}
        self.history[self.head] = dict(self.hashes)
        return body

    def hashes_at(self, revision: int) -> dict[str, str]:
        """The section hashes of a revision. One the model did not see as a head (the import
        before the reviewers were set) is read from the server: a revision never changes,
        so reading it states a fact, not the rule under test."""
        if revision not in self.history:
            body = self.call("GET", self.doc(f"?revision={revision}")).json()
            self.history[revision] = {s["id"]: s["content_hash"] for s in body["sections"]}
        return self.history[revision]

    def ids(self, prefix: str) -> set[str]:
        return {i for i, n in self.numbers.items() if n == prefix or n.startswith(prefix + ".")}

    def covered(self, role: str) -> set[str]:
        if role == "security":
            return self.ids("7")
        if role == "dba":
            return self.ids("6")
        return set(self.hashes)  # the requested reviewer (and anyone else): the whole document

    # --- the model's rules -------------------------------------------------------------

    def met(self) -> bool:
        def approved(role: str) -> bool:
            found = self.verdicts.get(role)
            if found is None or found[0] != "approve":
                return False
            return all(self.hashes.get(s) == h for s, h in found[1].items()) and found[
                1
            ].keys() >= self.covered(role)

        return (
            self.status == "in_review"
            and all(approved(r) for r in ("security", "dba", "lead"))
            and not any(v == "request_changes" for v, _ in self.verdicts.values())
            and not self.open_blocking
        )

    def settle(self) -> None:
        """What the server must have done after an action: approve when the rules are met."""
        if self.met():
            self.status, self.major, self.minor = "approved", self.major + 1, 0
            self.verdicts = {}
            self._read_head()
            text = self.call("GET", self.doc("?format=markdown")).text
            self.frozen[f"{self.major}.0"] = text
        else:
            self._read_head()

    # --- rules ---------------------------------------------------------------------------

    @precondition(lambda self: self.status != "in_review")
    @rule()
    def submit(self) -> None:
        response = self.call("POST", self.doc("/submission"))
        if self.status == "draft":
            assert response.status_code == 201, response.text
            self.status, self.verdicts = "in_review", {}
        else:
            assert response.status_code == 409
            want = "already_in_review" if self.status == "in_review" else "already_approved"
            assert response.json()["code"] == want

    @precondition(lambda self: self.status == "in_review")
    @rule()
    def withdraw(self) -> None:
        response = self.call("DELETE", self.doc("/submission"))
        if self.status == "in_review":
            assert response.status_code == 200, response.text
            self.status, self.verdicts = "draft", {}
        else:
            assert response.json()["code"] == "not_in_review"

    @rule(number=st.sampled_from(EDITABLE), text=st.sampled_from(["a", "b", "c"]))
    def edit(self, number: str, text: str) -> None:
        url = self.doc(f"/sections/{number}")
        current = self.call("GET", url)
        body = current.json()["body"] + f"\nEdit {text}.\n"
        response = self.call(
            "PUT", url, json={"body": body}, headers={"If-Match": current.headers["etag"]}
        )
        assert response.status_code == 200, response.text
        section = current.json()["id"]
        changed = response.json()["content_hash"] != current.json()["content_hash"]
        if not changed:
            return
        self.minor += 1
        if self.status == "approved":
            self.status = "draft"
        for role, (verdict, covered) in list(self.verdicts.items()):
            if verdict == "approve" and section in covered:
                del self.verdicts[role]
        self.settle()

    @rule(
        who=st.sampled_from(ROLES),
        verdict=st.sampled_from(["approve", "approve", "request_changes", "comment"]),
        back=st.sampled_from([0, 0, 0, 1, 2, 3]),
    )
    def review(self, who: str, verdict: str, back: int) -> None:
        self._review(who, verdict, back)

    @precondition(lambda self: self.status == "in_review")
    @rule(order=st.permutations(["security", "dba", "lead"]))
    def everyone_approves(self, order: list[str]) -> None:
        """The reviewers approve one after another, as they often do near the end."""
        for who in order:
            self._review(who, "approve", 0)

    def _review(self, who: str, verdict: str, back: int) -> None:
        revision = max(1, self.head - back)
        response = self.call(
            "POST", self.doc("/reviews"), who, json={"verdict": verdict, "revision": revision}
        )
        code = response.json().get("code")
        if who == "viewer":
            assert (response.status_code, code) == (403, "insufficient_role")
            return
        if self.status != "in_review":
            assert (response.status_code, code) == (409, "not_in_review")
            return
        if who == "author" and verdict != "comment":
            assert (response.status_code, code) == (403, "author_cannot_approve")
            return
        covered = self.covered(who)
        then = self.hashes_at(revision)
        stale = verdict != "comment" and (
            any(then.get(s) != self.hashes[s] for s in covered)
            or (who not in ("security", "dba") and set(then) != set(self.hashes))
        )
        if stale:
            assert (response.status_code, code) == (409, "stale_review"), response.text
            return
        assert response.status_code == 201, response.text
        if verdict != "comment":
            self.verdicts[who] = (verdict, {s: self.hashes[s] for s in covered})
        self.settle()

    @rule(target=threads, number=st.sampled_from(EDITABLE), blocking=st.booleans())
    def comment(self, number: str, blocking: bool) -> str:
        response = self.call(
            "POST",
            self.doc("/comments"),
            "lead",
            json={"section": number, "body": "Why?", "blocking": blocking},
        )
        assert response.status_code == 201, response.text
        thread = str(response.json()["id"])
        if blocking:
            self.open_blocking.add(thread)
        return thread

    @rule(thread=threads)
    def resolve(self, thread: str) -> None:
        response = self.call("PATCH", self.doc(f"/comments/{thread}"), json={"resolved": True})
        assert response.status_code == 200, response.text
        self.open_blocking.discard(thread)
        self.settle()

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def derived_correctly(self) -> None:
        if not hasattr(self, "key"):
            return
        body = self._read_head()
        assert body["status"] == self.status
        assert body["version"] == f"{self.major}.{self.minor}"
        version = (self.major, self.minor)
        assert not self.seen_versions or version >= self.seen_versions[-1]
        self.seen_versions.append(version)

    @invariant()
    def approvals_saw_what_they_count_for(self) -> None:
        if not hasattr(self, "key"):
            return
        view = self.call("GET", self.doc("/approval")).json()
        author = str(self.world.people.author.user_id)
        for entry in view["approvals"]:
            assert entry["reviewer"]["id"] != author
            if entry["counts"]:
                assert all(self.hashes[s["section_id"]] == s["hash"] for s in entry["sections"])
        reviews = self.call("GET", self.doc("/reviews?limit=200")).json()["items"]
        assert not any(r["reviewer"]["id"] == author and r["verdict"] == "approve" for r in reviews)

    @invariant()
    def approved_versions_never_change(self) -> None:
        for version, text in getattr(self, "frozen", {}).items():
            assert self.call("GET", self.doc(f"?version={version}&format=markdown")).text == text


def test_review_workflow_model(settings: Settings, live_database: DatabaseSettings) -> None:
    world = World(settings, live_database)
    ReviewModel.world = world
    try:
        run_state_machine_as_test(
            ReviewModel,
            settings=settings_for_ci(),
        )
    finally:
        world.close()


def test_an_approval_read_on_an_earlier_revision_counts_when_its_sections_are_unchanged(
    settings: Settings, live_database: DatabaseSettings
) -> None:
    """The case hypothesis shrank to (issue 12): security approves revision 1 while the head
    is 2 (revision 2 only named a reviewer, §7 is as it was), so its approval counts, and the
    round is approved as soon as the lead and the DBA have approved too (design §8.3). The
    model used to make no claim about a revision it had not seen as a head, and expected the
    round still open when security approved again."""
    world = World(settings, live_database)
    ReviewModel.world = world
    try:
        machine = ReviewModel()
        machine.start()
        for _ in range(7):
            for step in (machine.submit, machine.withdraw):
                step()
                machine.derived_correctly()
        machine.submit()
        assert machine.head == 2
        machine.review(who="security", verdict="approve", back=1)
        assert "security" in machine.verdicts  # the model now claims it: it counts
        machine.derived_correctly()
        machine.approvals_saw_what_they_count_for()
        machine._review("lead", "approve", 0)
        assert machine.status == "in_review"
        machine._review("dba", "approve", 0)
        assert machine.status == "approved"
        machine.derived_correctly()
        machine._review("security", "approve", 0)  # the round is closed: 409 not_in_review
        machine.approved_versions_never_change()
        view = machine.call("GET", machine.doc("/approval")).json()
        assert view["status"] == "approved"
        pinned = {a["reviewer"]: a["revision"] for a in view["last_approved"]["approvals"]}
        assert sorted(pinned.values()) == [1, 2, 2]  # security's, read on revision 1
    finally:
        world.close()


def settings_for_ci() -> settings:
    # A few hundred steps per backend in CI; SIGNOFF_MODEL_EXAMPLES=200 for a long soak.
    return settings(
        max_examples=int(os.environ.get("SIGNOFF_MODEL_EXAMPLES", "15")),
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
