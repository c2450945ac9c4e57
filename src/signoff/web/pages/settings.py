"""Organization settings for admins: members and roles (by invitation), teams, section
ownership rules, API keys and service accounts, webhooks with their delivery log, templates
and the lint policy.

Each page needs the action the API's routes need (another organization's settings are a
404, a member who may not manage them gets a 403), and calls the services those routes
call. A secret (API key, client secret, webhook secret, invitation token) is in the answer
to the form that made it, once, never in a page that can be loaded again.

Each area's page and forms take one dependency, the area (``MembersArea``...: a dataclass
of the request, the access check and the services), which also renders the area's page
and runs its forms.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Request
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from signoff.accounts.deps import CredentialServiceDep
from signoff.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyRead,
    ServiceAccountCreate,
    ServiceAccountRead,
)
from signoff.core.errors import SignoffError, UnprocessableError
from signoff.core.pagination import MAX_LIMIT, PageRequest
from signoff.core.permissions import Action, Role, Scope
from signoff.docformat import DEFAULT_SEVERITIES
from signoff.documents.deps import Policies
from signoff.documents.schemas import LintPolicyPut, policy_read
from signoff.documents.service.policy import policy_etag
from signoff.orgs.deps import InvitationServiceDep, MemberServiceDep, TeamServiceDep
from signoff.orgs.schemas import InvitationCreate, MemberUpdate, TeamCreate
from signoff.orgs.service import OrgAccess
from signoff.orgs.service.members import member_etag
from signoff.review.ownership import OwnerRule
from signoff.review.router import Reviews
from signoff.review.schemas import OwnerRuleBody
from signoff.review.service import owners_etag
from signoff.templates import service as builtin_templates
from signoff.templates.deps import Templates
from signoff.templates.schemas import TemplateCreate, summary
from signoff.web.access import org_page
from signoff.web.forms import FieldMissing, parse, text
from signoff.web.render import html
from signoff.web.routing import refused, web_router
from signoff.webhooks.deps import WebhookServiceDep
from signoff.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead
from signoff.webhooks.service import webhook_etag

router = web_router()
BASE = "/ui/orgs/{org}/settings"
ROLES = tuple(r.label for r in Role)
SCOPES = tuple(s.value for s in Scope)
SEVERITIES = ("error", "warning", "info")
LINT_DEFAULTS = {rule: severity.value for rule, severity in DEFAULT_SEVERITIES.items()}

MembersAdmin = Annotated[OrgAccess, org_page(Action.MEMBERS_MANAGE)]
TeamsAdmin = Annotated[OrgAccess, org_page(Action.TEAMS_MANAGE)]
CredentialsAdmin = Annotated[OrgAccess, org_page(Action.CREDENTIALS_MANAGE)]
WebhooksAdmin = Annotated[OrgAccess, org_page(Action.WEBHOOKS_MANAGE)]
PolicyAdmin = Annotated[OrgAccess, org_page(Action.POLICY_MANAGE)]

SECTIONS = (
    ("members", "Members"),
    ("teams", "Teams"),
    ("section-owners", "Section owners"),
    ("api-keys", "API keys"),
    ("webhooks", "Webhooks"),
    ("templates", "Templates"),
    ("lint-policy", "Lint policy"),
)
ALL = PageRequest(MAX_LIMIT)


def _beside(exc: SignoffError, field: str) -> SignoffError:
    """A refusal whose errors do not name a form field (a JSON pointer, or none) shown beside
    ``field``: same status and words."""
    if any("field" in e for e in exc.errors or []):
        return exc
    messages = [str(e.get("detail") or e.get("message") or "") for e in exc.errors or []]
    exc.errors = [{"field": field, "message": " ".join(m for m in messages if m) or exc.detail}]
    return exc


class Area:
    """One settings area's dependencies (a dataclass per area, resolved by FastAPI as one
    dependency): its page, and the forms that act on it and show it again when refused."""

    template: ClassVar[str]
    request: Request
    access: OrgAccess

    async def context(self) -> dict[str, Any]:
        raise NotImplementedError

    def url(self, rest: str = "") -> str:
        return f"/ui/orgs/{self.access.org.slug}/settings{rest}"

    async def page(self, extra: Mapping[str, Any] | None = None, status: int = 200) -> Response:
        context = {"sections": SECTIONS, "values": {}, **await self.context(), **(extra or {})}
        return html(self.request, self.template, context, status=status)

    async def refused(
        self, exc: SignoffError, values: Mapping[str, Any] | None = None
    ) -> SignoffError:
        """The form's page again, with the refusal and the values as sent."""
        context = {"sections": SECTIONS, "values": dict(values or {}), **await self.context()}
        return refused(self.request, exc, self.template, context)

    async def act(
        self,
        run: Callable[[], Awaitable[Any]],
        back: str,
        field: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> Response:
        """Do one admin action through its service, then go back to ``back`` (or show the
        page again with the refusal beside ``field``, the transaction rolled back)."""
        try:
            await run()
        except SignoffError as exc:
            raise await self.refused(_beside(exc, field) if field else exc, values) from exc
        return RedirectResponse(self.url(back), status_code=303)


@router.get(BASE)
async def settings_home(access: MembersAdmin) -> Response:
    return RedirectResponse(f"/ui/orgs/{access.org.slug}/settings/members", status_code=303)


# Members and invitations -----------------------------------------------------------------


@dataclass
class MembersArea(Area):
    template: ClassVar[str] = "settings/members.html"
    request: Request
    access: MembersAdmin
    members: MemberServiceDep
    invitations: InvitationServiceDep

    async def context(self) -> dict[str, Any]:
        found, more = await self.members.page(self.access, ALL)
        pending, _ = await self.invitations.pending(self.access, ALL)
        return {
            "members": [(m, member_etag(m.membership)) for m in found],
            "more": more is not None,
            "invitations": pending,
            "roles": ROLES,
            "my_id": self.access.principal.user_id,
        }


Members = Annotated[MembersArea, Depends()]


@router.get(BASE + "/members")
async def members_page(area: Members) -> Response:
    return await area.page()


@router.post(BASE + "/members")
async def invite(area: Members) -> Response:
    """Invite a person with a role, as ``POST /v1/orgs/{org}/members``: the answer shows the
    invitation's token once, for the admin to pass on."""
    form = await area.request.form()
    values = {
        "email": text(form, "email", required=False, max_length=320),
        "role": form.get("role"),
    }
    try:
        body = parse(InvitationCreate, values)
        issued = await area.invitations.invite(area.access, body.email, Role.parse(body.role))
    except SignoffError as exc:
        raise await area.refused(_beside(exc, "email"), values) from exc
    return await area.page({"issued": issued}, status=201)


@router.post(BASE + "/invitations/{invitation_id}/revoke")
async def revoke_invitation(invitation_id: uuid.UUID, area: Members) -> Response:
    return await area.act(
        lambda: area.invitations.revoke(area.access, invitation_id), "/members#invitations"
    )


@router.post(BASE + "/members/{user_id}/role")
async def change_role(user_id: uuid.UUID, area: Members) -> Response:
    """Change a member's role, on the version of the membership the admin had on screen."""
    form = await area.request.form()

    async def run() -> None:
        body = parse(MemberUpdate, {"role": form.get("role")})
        etag = text(form, "etag", max_length=200)
        await area.members.change_role(area.access, user_id, Role.parse(body.role), etag)

    return await area.act(run, "/members")


@router.post(BASE + "/members/{user_id}/remove")
async def remove_member(user_id: uuid.UUID, area: Members) -> Response:
    return await area.act(lambda: area.members.remove(area.access, user_id), "/members")


# Teams -----------------------------------------------------------------------------------


@dataclass
class TeamsArea(Area):
    template: ClassVar[str] = "settings/teams.html"
    request: Request
    access: TeamsAdmin
    teams: TeamServiceDep
    members: MemberServiceDep

    async def context(self) -> dict[str, Any]:
        found, more = await self.teams.page(self.access, ALL)
        people, _ = await self.members.page(self.access, ALL)
        names = {m.user.id: m.user for m in people}
        return {
            "teams": [
                (t, [names[i] for i in await self.teams.member_ids(t) if i in names]) for t in found
            ],
            "more": more is not None,
            "people_of_org": [m.user for m in people],
        }


Teams = Annotated[TeamsArea, Depends()]


@router.get(BASE + "/teams")
async def teams_page(area: Teams) -> Response:
    return await area.page()


@router.post(BASE + "/teams")
async def create_team(area: Teams) -> Response:
    form = await area.request.form()
    values = {
        "slug": text(form, "slug", required=False, max_length=63),
        "name": text(form, "name", required=False, max_length=200),
    }

    async def run() -> None:
        body = parse(TeamCreate, values)
        await area.teams.create(area.access, body.slug, body.name)

    return await area.act(run, "/teams", field="slug", values=values)


@router.post(BASE + "/teams/{team}/members")
async def add_team_member(team: str, area: Teams) -> Response:
    form = await area.request.form()

    async def run() -> None:
        try:
            user_id = uuid.UUID(text(form, "user_id", max_length=36))
        except ValueError:
            raise FieldMissing("Choose a member.", errors=[{"field": "user_id"}]) from None
        await area.teams.add_member(area.access, team, user_id)

    return await area.act(run, f"/teams#team-{team}")


@router.post(BASE + "/teams/{team}/members/{user_id}/remove")
async def remove_team_member(team: str, user_id: uuid.UUID, area: Teams) -> Response:
    return await area.act(
        lambda: area.teams.remove_member(area.access, team, user_id), f"/teams#team-{team}"
    )


# Section ownership rules -----------------------------------------------------------------


class OwnerRules(BaseModel):
    rules: list[OwnerRuleBody] = Field(max_length=200)


@dataclass
class OwnersArea(Area):
    template: ClassVar[str] = "settings/owners.html"
    request: Request
    access: PolicyAdmin
    reviews: Reviews
    teams: TeamServiceDep

    async def context(self) -> dict[str, Any]:
        policy = await self.reviews.policy(self.access)
        found, _ = await self.teams.page(self.access, ALL)
        return {
            "rules": policy.owners,
            "etag": owners_etag(policy),
            "team_slugs": [t.slug for t in found],
        }


Owners = Annotated[OwnersArea, Depends()]


@router.get(BASE + "/section-owners")
async def owners_page(area: Owners) -> Response:
    return await area.page()


@router.post(BASE + "/section-owners")
async def put_owners(area: Owners) -> Response:
    """Replace the rules, one a line (``7.*  security``), on the rules the admin had on
    screen (their ETag): the same as ``PUT /v1/orgs/{org}/section-owners``."""
    form = await area.request.form()
    lines = text(form, "rules", required=False, max_length=20_000)

    async def run() -> None:
        pairs = [line.split() for line in lines.splitlines() if line.strip()]
        bad = [" ".join(p) for p in pairs if len(p) != 2]
        if bad:
            raise FieldMissing(
                f"Write each rule as a pattern and a team: “{bad[0]}” is not.",
                errors=[{"field": "rules", "message": "A line is a pattern, a space, a team."}],
            )
        body = parse(OwnerRules, {"rules": [{"pattern": p, "team": t} for p, t in pairs]})
        etag = text(form, "etag", max_length=200)
        rules = [OwnerRule(r.pattern, r.team) for r in body.rules]
        await area.reviews.put_owners(area.access, rules, etag)

    return await area.act(run, "/section-owners", field="rules", values={"rules": lines})


# API keys and service accounts -----------------------------------------------------------


@dataclass
class CredentialsArea(Area):
    template: ClassVar[str] = "settings/api_keys.html"
    request: Request
    access: CredentialsAdmin
    credentials: CredentialServiceDep

    async def context(self) -> dict[str, Any]:
        keys, _ = await self.credentials.api_keys(self.access.org_id, ALL)
        accounts, _ = await self.credentials.service_accounts(self.access.org_id, ALL)
        return {
            "keys": [ApiKeyRead.model_validate(k) for k in keys],
            "accounts": [ServiceAccountRead.model_validate(a) for a in accounts],
            "scopes": SCOPES,
        }


Credentials = Annotated[CredentialsArea, Depends()]


def _scopes(form: FormData) -> list[str]:
    return [s for s in form.getlist("scopes") if isinstance(s, str)]


@router.get(BASE + "/api-keys")
async def api_keys_page(area: Credentials) -> Response:
    return await area.page()


@router.post(BASE + "/api-keys")
async def create_api_key(area: Credentials) -> Response:
    """Create an API key: its secret is in this answer only."""
    form = await area.request.form()
    expires = text(form, "expires_at", required=False, max_length=40)
    values = {
        "name": text(form, "name", required=False, max_length=100),
        "scopes": _scopes(form),
        # A date picked in the form: the end of that day, UTC.
        "expires_at": f"{expires}T23:59:59Z" if expires else None,
    }
    access = area.access
    try:
        body = parse(ApiKeyCreate, values)
        issued = await area.credentials.create_api_key(
            access.org_id, body.name, list(body.scopes), body.expires_at, access.principal.user_id
        )
    except SignoffError as exc:
        shown_values = values | {"expires_at": expires}
        raise await area.refused(_beside(exc, "expires_at"), shown_values) from exc
    shown = {"issued_key": ApiKeyRead.model_validate(issued.credential), "secret": issued.secret}
    return await area.page(shown, status=201)


@router.post(BASE + "/api-keys/{key_id}/revoke")
async def revoke_api_key(key_id: uuid.UUID, area: Credentials) -> Response:
    return await area.act(
        lambda: area.credentials.revoke_api_key(area.access.org_id, key_id), "/api-keys"
    )


@router.post(BASE + "/service-accounts")
async def create_service_account(area: Credentials) -> Response:
    """Create a service account: its client secret is in this answer only."""
    form = await area.request.form()
    values = {
        "sa_name": text(form, "sa_name", required=False, max_length=100),
        "sa_scopes": _scopes(form),
    }
    access = area.access
    try:
        body = parse(
            ServiceAccountCreate, {"name": values["sa_name"], "scopes": values["sa_scopes"]}
        )
        issued = await area.credentials.create_service_account(
            access.org_id, body.name, list(body.scopes), access.principal.user_id
        )
    except SignoffError as exc:
        for e in exc.errors or []:
            if e.get("field") in ("name", "scopes"):
                e["field"] = "sa_" + e["field"]  # type: ignore[index]
        raise await area.refused(exc, values) from exc
    shown = {
        "issued_account": ServiceAccountRead.model_validate(issued.credential),
        "secret": issued.secret,
    }
    return await area.page(shown, status=201)


@router.post(BASE + "/service-accounts/{account_id}/revoke")
async def revoke_service_account(account_id: uuid.UUID, area: Credentials) -> Response:
    return await area.act(
        lambda: area.credentials.revoke_service_account(area.access.org_id, account_id),
        "/api-keys#accounts",
    )


# Webhooks and their delivery log ---------------------------------------------------------


@dataclass
class WebhooksArea(Area):
    template: ClassVar[str] = "settings/webhooks.html"
    request: Request
    access: WebhooksAdmin
    webhooks: WebhookServiceDep

    async def context(self) -> dict[str, Any]:
        found, more = await self.webhooks.page(self.access.org_id, ALL)
        return {"webhooks": [WebhookRead.of(w) for w in found], "more": more is not None}


Webhooks = Annotated[WebhooksArea, Depends()]


@router.get(BASE + "/webhooks")
async def webhooks_page(area: Webhooks) -> Response:
    return await area.page()


@router.post(BASE + "/webhooks")
async def create_webhook(area: Webhooks) -> Response:
    """Subscribe a URL to events: the signing secret is in this answer only."""
    form = await area.request.form()
    events = text(form, "event_types", required=False, max_length=2000)
    values = {
        "url": text(form, "url", required=False, max_length=2000),
        "event_types": [e for e in events.replace(",", " ").split() if e] or ["*"],
        "description": text(form, "description", required=False, max_length=500),
    }
    try:
        body = parse(WebhookCreate, values)
        issued = await area.webhooks.create(
            area.access.org_id, body.url, body.event_types, body.description, body.active
        )
    except SignoffError as exc:
        shown_values = values | {"event_types": events}
        raise await area.refused(_beside(exc, "url"), shown_values) from exc
    shown = {"issued": WebhookRead.of(issued.webhook), "secret": issued.secret}
    return await area.page(shown, status=201)


@dataclass
class WebhookArea(Area):
    """One subscription and its delivery log, newest first, with every attempt."""

    template: ClassVar[str] = "settings/webhook.html"
    request: Request
    access: WebhooksAdmin
    webhooks: WebhookServiceDep
    webhook_id: uuid.UUID

    async def context(self) -> dict[str, Any]:
        org_id, webhook_id = self.access.org_id, self.webhook_id
        webhook = await self.webhooks.get(org_id, webhook_id)
        found, more = await self.webhooks.deliveries(org_id, webhook_id, PageRequest(50), None)
        return {
            "webhook": WebhookRead.of(webhook),
            "etag": webhook_etag(webhook),
            "deliveries": [DeliveryRead.of(d.delivery, d.attempts) for d in found],
            "more": more is not None,
        }


Webhook = Annotated[WebhookArea, Depends()]


@router.get(BASE + "/webhooks/{webhook_id}")
async def webhook_page(area: Webhook) -> Response:
    return await area.page()


@router.post(BASE + "/webhooks/{webhook_id}/delete")
async def delete_webhook(area: Webhook) -> Response:
    return await area.act(
        lambda: area.webhooks.delete(area.access.org_id, area.webhook_id), "/webhooks"
    )


@router.post(BASE + "/webhooks/{webhook_id}/active")
async def set_webhook_active(area: Webhook) -> Response:
    """Pause or resume a subscription, on the version the admin had on screen."""
    form = await area.request.form()

    async def run() -> None:
        etag = text(form, "etag", max_length=200)
        active = {"active": form.get("active") == "true"}
        await area.webhooks.update(area.access.org_id, area.webhook_id, etag, active)

    return await area.act(run, f"/webhooks/{area.webhook_id}")


@router.post(BASE + "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(delivery_id: uuid.UUID, area: Webhook) -> Response:
    return await area.act(
        lambda: area.webhooks.redeliver(area.access.org_id, area.webhook_id, delivery_id),
        f"/webhooks/{area.webhook_id}#d-{delivery_id}",
    )


# Templates -------------------------------------------------------------------------------


@dataclass
class TemplatesArea(Area):
    template: ClassVar[str] = "settings/templates.html"
    request: Request
    access: PolicyAdmin
    templates: Templates

    async def context(self) -> dict[str, Any]:
        own = await self.templates.org_templates(self.access.org_id)
        return {"templates": [summary(t) for t in [*builtin_templates.builtins(), *own]]}


TemplatesPage = Annotated[TemplatesArea, Depends()]


@router.get(BASE + "/templates")
async def templates_page(area: TemplatesPage) -> Response:
    return await area.page()


@router.post(BASE + "/templates")
async def register_template(area: TemplatesPage) -> Response:
    """Register a template from a Markdown file (the same slug again: a new version)."""
    form = await area.request.form()
    upload = form.get("file")
    values = {
        "slug": text(form, "slug", required=False, max_length=63),
        "name": text(form, "name", required=False, max_length=200),
    }

    async def run() -> None:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FieldMissing("Choose the template's Markdown file.", errors=[{"field": "file"}])
        try:
            markdown = (await upload.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise UnprocessableError(
                "The file is not UTF-8 text.", errors=[{"field": "file"}]
            ) from None
        body = parse(TemplateCreate, {**values, "markdown": markdown})
        await area.templates.register(
            area.access.org_id, body.slug, body.name, body.markdown, area.access.principal.user_id
        )

    return await area.act(run, "/templates", field="file", values=values)


# Lint policy -----------------------------------------------------------------------------


@dataclass
class LintArea(Area):
    template: ClassVar[str] = "settings/lint_policy.html"
    request: Request
    access: PolicyAdmin
    policies: Policies

    async def context(self) -> dict[str, Any]:
        policy = await self.policies.get(self.access)
        read = policy_read(policy, LINT_DEFAULTS)
        return {
            "policy": read,
            "etag": policy_etag(policy),
            "severities": SEVERITIES,
            "rule_ids": sorted(read.rules),
        }


Lint = Annotated[LintArea, Depends()]


@router.get(BASE + "/lint-policy")
async def lint_policy_page(area: Lint) -> Response:
    return await area.page()


@router.post(BASE + "/lint-policy")
async def put_lint_policy(area: Lint) -> Response:
    """Which rules run, at which severity, and which severities block a submission; on the
    policy the admin had on screen, as ``PUT /v1/orgs/{org}/lint-policy``."""
    form = await area.request.form()

    async def run() -> None:
        rules = sorted(LINT_DEFAULTS)
        off = [r for r in rules if form.get(f"on-{r}") != "on"]
        severities = {
            r: value
            for r in rules
            if isinstance(value := form.get(f"severity-{r}"), str)
            and value
            and value != LINT_DEFAULTS[r]
        }
        body = parse(
            LintPolicyPut,
            {
                "enabled": None,
                "disabled": off,
                "severities": severities,
                "blocking_severities": form.getlist("blocking"),
            },
        )
        await area.policies.put(
            area.access,
            text(form, "etag", max_length=200),
            enabled=body.enabled,
            disabled=body.disabled,
            severities=dict(body.severities),
            blocking=list(body.blocking_severities),
        )

    return await area.act(run, "/lint-policy", field="blocking")
