"""Typed events serialize at the outbox into the envelope consumers already know: ids and
times as strings, the same keys in the same order."""

from __future__ import annotations

import ast
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import signoff
from signoff.accounts.events import (
    CredentialChanged,
    IdentityLinked,
    LoginFailed,
    LoginSucceeded,
    RefreshTokenReused,
    SignedOut,
    SignupRefused,
    TokenRefreshed,
    TokenRevoked,
    UserCreated,
)
from signoff.core.events import Event
from signoff.documents.events import DocumentStateChanged, LintPolicyChanged, RevisionSaved
from signoff.inbound.events import RequirementApplied, SourceChanged
from signoff.orgs.events import (
    InvitationChanged,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrgCreated,
    OrgUpdated,
    RequestLimitsUpdated,
    SignedUp,
    TeamCreated,
    TeamMemberChanged,
)
from signoff.registers.events import QuestionOverdue, RegisterItemChanged
from signoff.review.events import (
    ApprovalDismissed,
    ApprovalExpired,
    CommentChanged,
    CommentReplied,
    DocumentApproved,
    DocumentPolicyChanged,
    DocumentSubmitted,
    DocumentWithdrawn,
    ReviewPolicyUpdated,
    ReviewSubmitted,
    SectionOwnersUpdated,
)
from signoff.templates.events import TemplateRegistered
from signoff.traceability.events import (
    ApiSpecAttached,
    TestReportAttached,
    TraceLinkChanged,
    TraceLinkConfirmed,
    TraceLinkSuspected,
)
from signoff.webhooks.events import (
    RedeliveryRequested,
    SecretRotated,
    WebhookCreated,
    WebhookDeleted,
    WebhookUpdated,
)


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


def test_inbound_traceability_and_template_events_keep_their_wire_format() -> None:
    org, source = uuid.uuid4(), uuid.uuid4()
    revoked = SourceChanged(
        org_id=org, subject=f"inbound/{source}", change="revoked", source_id=source, name="Jama"
    )
    assert revoked.type == "inbound.source_revoked"
    assert revoked.data() == {"source_id": str(source), "name": "Jama"}
    applied = RequirementApplied(
        org_id=org,
        subject="documents/DD-1",
        source_id=source,
        event_id="evt_1",
        type_="requirement.created",
        external_id="JAMA-7",
        document="DD-1",
        requirement_id="TRK-013",
    )
    assert applied.type == "inbound.requirement_applied"
    assert list(applied.data().items()) == [
        ("source_id", str(source)),
        ("event_id", "evt_1"),
        ("type", "requirement.created"),
        ("external_id", "JAMA-7"),
        ("document", "DD-1"),
        ("requirement_id", "TRK-013"),
    ]
    spec = ApiSpecAttached(
        org_id=org,
        subject="documents/DD-1",
        document="DD-1",
        number=3,
        operations=12,
        added=2,
        removed=1,
        changed=0,
    )
    assert spec.type == "traceability.spec_attached"
    assert list(spec.data()) == ["document", "number", "operations", "added", "removed", "changed"]
    report = TestReportAttached(
        org_id=org, subject="documents/DD-1", document="DD-1", number=3, outcomes={"passed": 4}
    )
    assert report.data() == {"document": "DD-1", "number": 3, "outcomes": {"passed": 4}}
    template = TemplateRegistered(org_id=org, subject="templates/adr", slug="adr", version=2)
    assert (template.type, template.data()) == (
        "templates.registered",
        {"slug": "adr", "version": 2},
    )


def test_tenancy_events_keep_their_wire_format() -> None:
    org, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    found = [
        OrgCreated(org_id=org, subject="orgs/acme", slug="acme", owner_id=user),
        SignedUp(org_id=org, subject=f"users/{user}", user_id=user),
        OrgUpdated(org_id=org, subject="orgs/acme", name="Acme"),
        MemberAdded(org_id=org, subject=f"members/{user}", user_id=user, role="editor"),
        MemberAdded(
            org_id=org, subject=f"members/{user}", user_id=user, role="viewer", via="oidc_claim"
        ),
        MemberRoleChanged(
            org_id=org, subject=f"members/{user}", user_id=user, role="admin", previous="editor"
        ),
        MemberRemoved(org_id=org, subject=f"members/{user}", user_id=user, role="admin"),
        InvitationChanged(
            org_id=org,
            subject=f"invitations/{invitation}",
            change="accepted",
            invitation_id=invitation,
            role="editor",
        ),
        TeamCreated(org_id=org, subject="teams/core", team="core"),
        TeamMemberChanged(
            org_id=org, subject="teams/core", change="removed", team="core", user_id=user
        ),
    ]
    assert [(e.type, list(e.data().items())) for e in found] == [
        ("orgs.created", [("org_id", str(org)), ("slug", "acme"), ("owner_id", str(user))]),
        ("auth.signed_up", [("user_id", str(user)), ("org_id", str(org))]),
        ("orgs.updated", [("name", "Acme")]),
        ("orgs.member_added", [("user_id", str(user)), ("role", "editor")]),
        (
            "orgs.member_added",
            [("user_id", str(user)), ("role", "viewer"), ("via", "oidc_claim")],
        ),
        (
            "orgs.member_role_changed",
            [("user_id", str(user)), ("role", "admin"), ("previous", "editor")],
        ),
        ("orgs.member_removed", [("user_id", str(user)), ("role", "admin")]),
        ("orgs.invitation_accepted", [("invitation_id", str(invitation)), ("role", "editor")]),
        ("teams.created", [("team", "core")]),
        ("teams.member_removed", [("team", "core"), ("user_id", str(user))]),
    ]


def test_identity_events_keep_their_wire_format() -> None:
    user, key, family, web = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    subject = f"users/{user}"
    found = [
        UserCreated(org_id=None, subject=subject, user_id=user),
        SignupRefused(org_id=None, subject=subject, user_id=user),
        LoginSucceeded(org_id=None, subject=subject, user_id=user),
        LoginFailed(org_id=None, subject=subject, user_id=user),
        LoginFailed(org_id=None, subject="users/unknown", user_id=None),
        IdentityLinked(org_id=None, subject=subject, user_id=user, issuer="https://idp"),
        TokenRefreshed(org_id=None, subject=subject, user_id=user),
        TokenRevoked(org_id=None, subject=subject, user_id=user),
        RefreshTokenReused(org_id=None, subject=f"token-families/{family}", family_id=family),
        SignedOut(org_id=None, subject=subject, user_id=user, session_id=str(family)),
        SignedOut(org_id=None, subject=subject, user_id=user, web_session_id=web),
        CredentialChanged(
            org_id=uuid.uuid4(),
            subject=f"api-keys/{key}",
            credential="api_key",
            change="revoked",
            credential_id=key,
            name="ci",
            scopes=["documents:read"],
        ),
    ]
    u = ("user_id", str(user))
    assert [(e.type, list(e.data().items())) for e in found] == [
        ("users.created", [u]),
        ("auth.signup_refused", [u]),
        ("auth.login_succeeded", [u, ("method", "password")]),
        ("auth.login_failed", [u]),
        ("auth.login_failed", [("account_exists", False)]),
        ("auth.identity_linked", [u, ("issuer", "https://idp")]),
        ("auth.token_refreshed", [u]),
        ("auth.token_revoked", [u]),
        ("auth.refresh_token_reused", [("family_id", str(family))]),
        ("auth.signed_out", [u, ("session_id", str(family))]),
        ("auth.signed_out", [u, ("web_session_id", str(web))]),
        (
            "credentials.api_key_revoked",
            [("id", str(key)), ("name", "ci"), ("scopes", ["documents:read"])],
        ),
    ]


def test_document_events_keep_their_wire_format() -> None:
    org, doc = uuid.uuid4(), uuid.uuid4()
    head = {"document_id": str(doc), "key": "DD-1", "revision": 2, "version": "0.2"}
    changes = [{"section": "2.1", "change": "modified"}]
    subject = "documents/DD-1"
    created = RevisionSaved(
        org_id=org,
        subject=subject,
        document_id=doc,
        key="DD-1",
        revision=2,
        version="0.2",
        title="Queue",
    )
    updated = replace(created, changed_sections=changes)
    archived = DocumentStateChanged(
        org_id=org, subject=subject, change="archived", document_id=doc, key="DD-1"
    )
    policy = LintPolicyChanged(org_id=org, subject="lint-policy", version=3)
    assert [(e.type, e.data()) for e in (created, updated, archived, policy)] == [
        ("documents.created", head | {"title": "Queue"}),
        ("documents.updated", head | {"title": "Queue", "changed_sections": changes}),
        ("documents.archived", {"document_id": str(doc), "key": "DD-1"}),
        ("documents.lint_policy_changed", {"version": 3}),
    ]
    assert list(updated.data())[-1] == "changed_sections"


def test_webhook_events_keep_their_wire_format() -> None:
    org, hook, delivery, event = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    where: dict[str, Any] = {"org_id": org, "subject": f"webhooks/{hook}", "webhook_id": hook}
    until = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    found = [
        WebhookCreated(**where, url="https://x.test/h", types=["documents.*"]),
        WebhookUpdated(**where, changed=["active", "url"]),
        WebhookDeleted(**where, url="https://x.test/h"),
        SecretRotated(**where, previous_valid_until=until),
        SecretRotated(**where, previous_valid_until=None),
        RedeliveryRequested(**where, delivery_id=delivery, event_id=event),
    ]
    h = ("webhook_id", str(hook))
    assert [(e.type, list(e.data().items())) for e in found] == [
        ("webhooks.created", [h, ("url", "https://x.test/h"), ("types", ["documents.*"])]),
        ("webhooks.updated", [h, ("changed", ["active", "url"])]),
        ("webhooks.deleted", [h, ("url", "https://x.test/h")]),
        ("webhooks.secret_rotated", [h, ("previous_valid_until", until.isoformat())]),
        ("webhooks.secret_rotated", [h, ("previous_valid_until", None)]),
        (
            "webhooks.redelivery_requested",
            [h, ("delivery_id", str(delivery)), ("event_id", str(event))],
        ),
    ]


def test_review_events_keep_their_wire_format() -> None:
    """The payloads the three ``_record`` helpers of review built, key for key and in order."""
    org, doc, review, user, thread, reply = (uuid.uuid4() for _ in range(6))
    on: dict[str, Any] = {
        "org_id": org,
        "subject": "documents/DD-1",
        "document_id": doc,
        "key": "DD-1",
    }
    head = [("document_id", str(doc)), ("key", "DD-1")]
    approval = {"review_id": str(review), "reviewer": "Ana", "sections": []}
    covered = [{"section_id": "s1", "number": "2", "hash": "h"}]
    changes = [{"section_id": "s1", "number": "2", "diff": "-a\n+b\n"}]
    comment: dict[str, Any] = {"comment_id": thread, "section_id": "s1", "section": "2"}
    c = [("comment_id", str(thread)), ("section_id", "s1"), ("section", "2")]
    reviewers = {"users": [str(user)], "teams": ["core"]}
    owned = {"core": ["2", "3.1"]}
    found: list[Event] = [
        DocumentSubmitted(
            **on,
            round=1,
            revision=4,
            version="0.4",
            reviewers=reviewers,
            owners=owned,
            required_approvals=2,
        ),
        DocumentWithdrawn(**on, round=1),
        DocumentPolicyChanged(**on, required=None),
        DocumentApproved(
            **on,
            round=1,
            revision=5,
            version="1.0",
            content_hash="sha256:ab",
            approvals=[approval],
            teams=["core"],
        ),
        ReviewSubmitted(
            **on,
            round=1,
            review_id=review,
            verdict="approve",
            reviewer_id=user,
            reviewer="Ana",
            revision=4,
            whole_document=False,
            sections=covered,
        ),
        ApprovalDismissed(
            **on,
            round=1,
            review_id=review,
            reviewer_id=user,
            reviewer="Ana",
            reason="§2 changed in revision 5",
            revision=5,
            changes=changes,
        ),
        CommentChanged(**on, **comment, change="created", blocking=True),
        CommentReplied(**on, **comment, reply_id=reply),
        CommentChanged(**on, **comment, change="resolved", blocking=False),
        CommentChanged(**on, **comment, change="reopened", blocking=False),
        CommentChanged(**on, **comment, change="updated", blocking=True),
    ]
    assert [(e.type, e.subject, list(e.data().items())) for e in found] == [
        (
            "documents.submitted",
            "documents/DD-1",
            [
                *head,
                ("round", 1),
                ("revision", 4),
                ("version", "0.4"),
                ("reviewers", reviewers),
                ("owners", owned),
                ("required_approvals", 2),
            ],
        ),
        ("documents.withdrawn", "documents/DD-1", [*head, ("round", 1)]),
        ("documents.review_policy_changed", "documents/DD-1", [*head, ("required", None)]),
        (
            "documents.approved",
            "documents/DD-1",
            [
                *head,
                ("round", 1),
                ("revision", 5),
                ("version", "1.0"),
                ("content_hash", "sha256:ab"),
                ("approvals", [approval]),
                ("teams", ["core"]),
            ],
        ),
        (
            "reviews.submitted",
            "documents/DD-1",
            [
                *head,
                ("round", 1),
                ("review_id", str(review)),
                ("verdict", "approve"),
                ("reviewer_id", str(user)),
                ("reviewer", "Ana"),
                ("revision", 4),
                ("whole_document", False),
                ("sections", covered),
            ],
        ),
        (
            "approvals.dismissed",
            "documents/DD-1",
            [
                *head,
                ("round", 1),
                ("review_id", str(review)),
                ("reviewer_id", str(user)),
                ("reviewer", "Ana"),
                ("reason", "§2 changed in revision 5"),
                ("revision", 5),
                ("changes", changes),
            ],
        ),
        ("comments.created", "documents/DD-1", [*head, *c, ("blocking", True)]),
        ("comments.replied", "documents/DD-1", [*head, *c, ("reply_id", str(reply))]),
        ("comments.resolved", "documents/DD-1", [*head, *c, ("blocking", False)]),
        ("comments.reopened", "documents/DD-1", [*head, *c, ("blocking", False)]),
        ("comments.updated", "documents/DD-1", [*head, *c, ("blocking", True)]),
    ]
    policy = ReviewPolicyUpdated(
        org_id=org, subject="orgs/acme", required_approvals=2, approval_expiry_days=None
    )
    owners = SectionOwnersUpdated(
        org_id=org, subject="orgs/acme", rules=[{"pattern": "2.*", "team": "core"}]
    )
    assert [(e.type, list(e.data().items())) for e in (policy, owners)] == [
        ("review_policy.updated", [("required_approvals", 2), ("approval_expiry_days", None)]),
        ("section_owners.updated", [("rules", [{"pattern": "2.*", "team": "core"}])]),
    ]


def test_trace_link_limit_and_oidc_events_keep_their_wire_format() -> None:
    org, link, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    on: dict[str, Any] = {
        "org_id": org,
        "subject": "documents/DD-1",
        "document": "DD-1",
        "link_id": link,
        "source": "requirement:r1",
        "target": "section:s1",
    }
    ends = [
        ("document", "DD-1"),
        ("link_id", str(link)),
        ("source", "requirement:r1"),
        ("target", "section:s1"),
    ]
    found: list[Event] = [
        TraceLinkChanged(**on, change="created"),
        TraceLinkChanged(**on, change="deleted"),
        TraceLinkConfirmed(**on, note=None),
        TraceLinkConfirmed(**on, note="still holds"),
        TraceLinkSuspected(**on, reason="the section Queue changed"),
        RequestLimitsUpdated(
            org_id=org, subject="orgs/acme", reads_per_minute=600, writes_per_minute=None
        ),
        LoginSucceeded(
            org_id=None, subject=f"users/{user}", user_id=user, method="oidc", issuer="https://i"
        ),
    ]
    assert [(e.type, list(e.data().items())) for e in found] == [
        ("trace_links.created", ends),
        ("trace_links.deleted", ends),
        ("trace_links.confirmed", [*ends, ("note", None)]),
        ("trace_links.confirmed", [*ends, ("note", "still holds")]),
        ("trace_links.suspected", [*ends, ("reason", "the section Queue changed")]),
        (
            "orgs.request_limits_updated",
            [("reads_per_minute", 600), ("writes_per_minute", None)],
        ),
        (
            "auth.login_succeeded",
            [("user_id", str(user)), ("method", "oidc"), ("issuer", "https://i")],
        ),
    ]


def _recorded_by_name(tree: ast.AST) -> list[int]:
    """Lines that record an event by name: ``EventRecorder.record`` (its keywords give it
    away), or any ``.record(...)`` whose type is a string literal or an f-string."""
    lines = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record"
        ):
            continue
        named = {k.arg for k in node.keywords} & {"org_id", "subject", "data"}
        literal = bool(node.args) and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
        if named or literal:
            lines.append(node.lineno)
    return lines


def test_no_event_is_recorded_by_a_string_literal() -> None:
    """Every event is a typed class in its domain's ``events.py``, recorded with ``emit``;
    only ``EventRecorder.emit`` itself calls ``record``."""
    root = Path(signoff.__file__).parent
    found = {
        str(path.relative_to(root)): lines
        for path in sorted(root.rglob("*.py"))
        if path != root / "core" / "events.py"
        and (lines := _recorded_by_name(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}
    # The guard sees what it must: the old way of recording is caught.
    old = 'async def f(events):\n    await events.record("documents.withdrawn", org_id=None,'
    assert _recorded_by_name(ast.parse(old + ' subject="d", data={})')) == [2]
    assert _recorded_by_name(ast.parse("engine.record(job, result)")) == []
