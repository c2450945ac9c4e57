"""Typed events serialize at the outbox into the envelope consumers already know: ids and
times as strings, the same keys in the same order."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

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
from signoff.documents.events import DocumentStateChanged, LintPolicyChanged, RevisionSaved
from signoff.inbound.events import RequirementApplied, SourceChanged
from signoff.orgs.events import (
    InvitationChanged,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrgCreated,
    OrgUpdated,
    SignedUp,
    TeamCreated,
    TeamMemberChanged,
)
from signoff.registers.events import QuestionOverdue, RegisterItemChanged
from signoff.review.events import ApprovalExpired
from signoff.templates.events import TemplateRegistered
from signoff.traceability.events import ApiSpecAttached, TestReportAttached
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
