"""Organization settings for admins: members and roles (by invitation), teams, section
ownership rules, API keys and service accounts, webhooks with their delivery log, templates
and the lint policy.

Each page needs the action the API's routes need (another organization's settings are a
404, a member who may not manage them gets a 403), and calls the services those routes
call. A secret (API key, client secret, webhook secret, invitation token) is in the answer
to the form that made it, once, never in a page that can be loaded again.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Request
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
from signoff.templates.router import Templates
from signoff.templates.schemas import TemplateCreate, summary
from signoff.web.access import org_page
from signoff.web.forms import FieldMissing, parse, text
from signoff.web.render import html
from signoff.web.routing import refused, web_router
from signoff.web.session import BrowserDep
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


async def _page(
    request: Request,
    access: OrgAccess,
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
    extra: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return html(
        request,
        template,
        {"sections": SECTIONS, "values": {}, **await context(), **(extra or {})},
        status=status,
    )


async def _act(
    request: Request,
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
    run: Callable[[], Awaitable[Any]],
    back: str,
    field: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Response:
    """Do one admin action through its service, then go back to ``back`` (or show the page
    again with the refusal beside ``field``, the transaction rolled back)."""
    try:
        await run()
    except SignoffError as exc:
        cause = _beside(exc, field) if field else exc
        raise await _refused(request, cause, template, context, values) from exc
    return RedirectResponse(back, status_code=303)


async def _refused(
    request: Request,
    exc: SignoffError,
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
    values: Mapping[str, Any] | None,
) -> SignoffError:
    """The form's page again, with the refusal and the values as sent."""
    page = {"sections": SECTIONS, "values": dict(values or {}), **await context()}
    return refused(request, exc, template, page)


def _url(access: OrgAccess, rest: str = "") -> str:
    return f"/ui/orgs/{access.org.slug}/settings{rest}"


@router.get(BASE)
async def settings_home(browser: BrowserDep, access: MembersAdmin) -> Response:
    return RedirectResponse(_url(access, "/members"), status_code=303)


# Members and invitations -----------------------------------------------------------------


def _members_context(
    access: OrgAccess, members: MemberServiceDep, invitations: InvitationServiceDep
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        found, more = await members.page(access, ALL)
        pending, _ = await invitations.pending(access, ALL)
        return {
            "members": [(m, member_etag(m.membership)) for m in found],
            "more": more is not None,
            "invitations": pending,
            "roles": ROLES,
            "my_id": access.principal.user_id,
        }

    return build


@router.get(BASE + "/members")
async def members_page(
    request: Request,
    browser: BrowserDep,
    access: MembersAdmin,
    members: MemberServiceDep,
    invitations: InvitationServiceDep,
) -> Response:
    return await _page(
        request, access, "settings/members.html", _members_context(access, members, invitations)
    )


@router.post(BASE + "/members")
async def invite(
    request: Request,
    browser: BrowserDep,
    access: MembersAdmin,
    members: MemberServiceDep,
    invitations: InvitationServiceDep,
) -> Response:
    """Invite a person with a role, as ``POST /v1/orgs/{org}/members``: the answer shows the
    invitation's token once, for the admin to pass on."""
    form = await request.form()
    values = {
        "email": text(form, "email", required=False, max_length=320),
        "role": form.get("role"),
    }
    context = _members_context(access, members, invitations)
    try:
        body = parse(InvitationCreate, values)
        issued = await invitations.invite(access, body.email, Role.parse(body.role))
    except SignoffError as exc:
        cause = _beside(exc, "email")
        raise await _refused(request, cause, "settings/members.html", context, values) from exc
    return await _page(
        request, access, "settings/members.html", context, {"issued": issued}, status=201
    )


@router.post(BASE + "/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    request: Request,
    invitation_id: uuid.UUID,
    browser: BrowserDep,
    access: MembersAdmin,
    members: MemberServiceDep,
    invitations: InvitationServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/members.html",
        _members_context(access, members, invitations),
        lambda: invitations.revoke(access, invitation_id),
        _url(access, "/members#invitations"),
    )


@router.post(BASE + "/members/{user_id}/role")
async def change_role(
    request: Request,
    user_id: uuid.UUID,
    browser: BrowserDep,
    access: MembersAdmin,
    members: MemberServiceDep,
    invitations: InvitationServiceDep,
) -> Response:
    """Change a member's role, on the version of the membership the admin had on screen."""
    form = await request.form()

    async def run() -> None:
        body = parse(MemberUpdate, {"role": form.get("role")})
        etag = text(form, "etag", max_length=200)
        await members.change_role(access, user_id, Role.parse(body.role), etag)

    return await _act(
        request,
        "settings/members.html",
        _members_context(access, members, invitations),
        run,
        _url(access, "/members"),
    )


@router.post(BASE + "/members/{user_id}/remove")
async def remove_member(
    request: Request,
    user_id: uuid.UUID,
    browser: BrowserDep,
    access: MembersAdmin,
    members: MemberServiceDep,
    invitations: InvitationServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/members.html",
        _members_context(access, members, invitations),
        lambda: members.remove(access, user_id),
        _url(access, "/members"),
    )


# Teams -----------------------------------------------------------------------------------


def _teams_context(
    access: OrgAccess, teams: TeamServiceDep, members: MemberServiceDep
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        found, more = await teams.page(access, ALL)
        people, _ = await members.page(access, ALL)
        names = {m.user.id: m.user for m in people}
        return {
            "teams": [
                (t, [names[i] for i in await teams.member_ids(t) if i in names]) for t in found
            ],
            "more": more is not None,
            "people_of_org": [m.user for m in people],
        }

    return build


@router.get(BASE + "/teams")
async def teams_page(
    request: Request,
    browser: BrowserDep,
    access: TeamsAdmin,
    teams: TeamServiceDep,
    members: MemberServiceDep,
) -> Response:
    return await _page(
        request, access, "settings/teams.html", _teams_context(access, teams, members)
    )


@router.post(BASE + "/teams")
async def create_team(
    request: Request,
    browser: BrowserDep,
    access: TeamsAdmin,
    teams: TeamServiceDep,
    members: MemberServiceDep,
) -> Response:
    form = await request.form()
    values = {
        "slug": text(form, "slug", required=False, max_length=63),
        "name": text(form, "name", required=False, max_length=200),
    }

    async def run() -> None:
        body = parse(TeamCreate, values)
        await teams.create(access, body.slug, body.name)

    return await _act(
        request,
        "settings/teams.html",
        _teams_context(access, teams, members),
        run,
        _url(access, "/teams"),
        field="slug",
        values=values,
    )


@router.post(BASE + "/teams/{team}/members")
async def add_team_member(
    request: Request,
    team: str,
    browser: BrowserDep,
    access: TeamsAdmin,
    teams: TeamServiceDep,
    members: MemberServiceDep,
) -> Response:
    form = await request.form()

    async def run() -> None:
        try:
            user_id = uuid.UUID(text(form, "user_id", max_length=36))
        except ValueError:
            raise FieldMissing("Choose a member.", errors=[{"field": "user_id"}]) from None
        await teams.add_member(access, team, user_id)

    return await _act(
        request,
        "settings/teams.html",
        _teams_context(access, teams, members),
        run,
        _url(access, f"/teams#team-{team}"),
    )


@router.post(BASE + "/teams/{team}/members/{user_id}/remove")
async def remove_team_member(
    request: Request,
    team: str,
    user_id: uuid.UUID,
    browser: BrowserDep,
    access: TeamsAdmin,
    teams: TeamServiceDep,
    members: MemberServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/teams.html",
        _teams_context(access, teams, members),
        lambda: teams.remove_member(access, team, user_id),
        _url(access, f"/teams#team-{team}"),
    )


# Section ownership rules -----------------------------------------------------------------


class OwnerRules(BaseModel):
    rules: list[OwnerRuleBody] = Field(max_length=200)


def _owners_context(
    access: OrgAccess, reviews: Reviews, teams: TeamServiceDep
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        policy = await reviews.policy(access)
        found, _ = await teams.page(access, ALL)
        return {
            "rules": policy.owners,
            "etag": owners_etag(policy),
            "team_slugs": [t.slug for t in found],
        }

    return build


@router.get(BASE + "/section-owners")
async def owners_page(
    request: Request,
    browser: BrowserDep,
    access: PolicyAdmin,
    reviews: Reviews,
    teams: TeamServiceDep,
) -> Response:
    context = _owners_context(access, reviews, teams)
    return await _page(request, access, "settings/owners.html", context)


@router.post(BASE + "/section-owners")
async def put_owners(
    request: Request,
    browser: BrowserDep,
    access: PolicyAdmin,
    reviews: Reviews,
    teams: TeamServiceDep,
) -> Response:
    """Replace the rules, one a line (``7.*  security``), on the rules the admin had on
    screen (their ETag): the same as ``PUT /v1/orgs/{org}/section-owners``."""
    form = await request.form()
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
        await reviews.put_owners(access, [OwnerRule(r.pattern, r.team) for r in body.rules], etag)

    return await _act(
        request,
        "settings/owners.html",
        _owners_context(access, reviews, teams),
        run,
        _url(access, "/section-owners"),
        field="rules",
        values={"rules": lines},
    )


# API keys and service accounts -----------------------------------------------------------


def _credentials_context(
    access: OrgAccess, credentials: CredentialServiceDep
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        keys, _ = await credentials.api_keys(access.org_id, ALL)
        accounts, _ = await credentials.service_accounts(access.org_id, ALL)
        return {
            "keys": [ApiKeyRead.model_validate(k) for k in keys],
            "accounts": [ServiceAccountRead.model_validate(a) for a in accounts],
            "scopes": SCOPES,
        }

    return build


def _scopes(form: FormData) -> list[str]:
    return [s for s in form.getlist("scopes") if isinstance(s, str)]


@router.get(BASE + "/api-keys")
async def api_keys_page(
    request: Request,
    browser: BrowserDep,
    access: CredentialsAdmin,
    credentials: CredentialServiceDep,
) -> Response:
    context = _credentials_context(access, credentials)
    return await _page(request, access, "settings/api_keys.html", context)


@router.post(BASE + "/api-keys")
async def create_api_key(
    request: Request,
    browser: BrowserDep,
    access: CredentialsAdmin,
    credentials: CredentialServiceDep,
) -> Response:
    """Create an API key: its secret is in this answer only."""
    form = await request.form()
    expires = text(form, "expires_at", required=False, max_length=40)
    values = {
        "name": text(form, "name", required=False, max_length=100),
        "scopes": _scopes(form),
        # A date picked in the form: the end of that day, UTC.
        "expires_at": f"{expires}T23:59:59Z" if expires else None,
    }
    context = _credentials_context(access, credentials)
    try:
        body = parse(ApiKeyCreate, values)
        issued = await credentials.create_api_key(
            access.org_id, body.name, list(body.scopes), body.expires_at, access.principal.user_id
        )
    except SignoffError as exc:
        cause, shown_values = _beside(exc, "expires_at"), values | {"expires_at": expires}
        raise await _refused(
            request, cause, "settings/api_keys.html", context, shown_values
        ) from exc
    shown = {"issued_key": ApiKeyRead.model_validate(issued.credential), "secret": issued.secret}
    return await _page(request, access, "settings/api_keys.html", context, shown, status=201)


@router.post(BASE + "/api-keys/{key_id}/revoke")
async def revoke_api_key(
    request: Request,
    key_id: uuid.UUID,
    browser: BrowserDep,
    access: CredentialsAdmin,
    credentials: CredentialServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/api_keys.html",
        _credentials_context(access, credentials),
        lambda: credentials.revoke_api_key(access.org_id, key_id),
        _url(access, "/api-keys"),
    )


@router.post(BASE + "/service-accounts")
async def create_service_account(
    request: Request,
    browser: BrowserDep,
    access: CredentialsAdmin,
    credentials: CredentialServiceDep,
) -> Response:
    """Create a service account: its client secret is in this answer only."""
    form = await request.form()
    values = {
        "sa_name": text(form, "sa_name", required=False, max_length=100),
        "sa_scopes": _scopes(form),
    }
    context = _credentials_context(access, credentials)
    try:
        body = parse(
            ServiceAccountCreate, {"name": values["sa_name"], "scopes": values["sa_scopes"]}
        )
        issued = await credentials.create_service_account(
            access.org_id, body.name, list(body.scopes), access.principal.user_id
        )
    except SignoffError as exc:
        for e in exc.errors or []:
            if e.get("field") in ("name", "scopes"):
                e["field"] = "sa_" + e["field"]  # type: ignore[index]
        raise await _refused(request, exc, "settings/api_keys.html", context, values) from exc
    shown = {
        "issued_account": ServiceAccountRead.model_validate(issued.credential),
        "secret": issued.secret,
    }
    return await _page(request, access, "settings/api_keys.html", context, shown, status=201)


@router.post(BASE + "/service-accounts/{account_id}/revoke")
async def revoke_service_account(
    request: Request,
    account_id: uuid.UUID,
    browser: BrowserDep,
    access: CredentialsAdmin,
    credentials: CredentialServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/api_keys.html",
        _credentials_context(access, credentials),
        lambda: credentials.revoke_service_account(access.org_id, account_id),
        _url(access, "/api-keys#accounts"),
    )


# Webhooks and their delivery log ---------------------------------------------------------


def _webhooks_context(
    access: OrgAccess, webhooks: WebhookServiceDep
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        found, more = await webhooks.page(access.org_id, ALL)
        return {"webhooks": [WebhookRead.of(w) for w in found], "more": more is not None}

    return build


@router.get(BASE + "/webhooks")
async def webhooks_page(
    request: Request, browser: BrowserDep, access: WebhooksAdmin, webhooks: WebhookServiceDep
) -> Response:
    context = _webhooks_context(access, webhooks)
    return await _page(request, access, "settings/webhooks.html", context)


@router.post(BASE + "/webhooks")
async def create_webhook(
    request: Request, browser: BrowserDep, access: WebhooksAdmin, webhooks: WebhookServiceDep
) -> Response:
    """Subscribe a URL to events: the signing secret is in this answer only."""
    form = await request.form()
    events = text(form, "event_types", required=False, max_length=2000)
    values = {
        "url": text(form, "url", required=False, max_length=2000),
        "event_types": [e for e in events.replace(",", " ").split() if e] or ["*"],
        "description": text(form, "description", required=False, max_length=500),
    }
    context = _webhooks_context(access, webhooks)
    try:
        body = parse(WebhookCreate, values)
        issued = await webhooks.create(
            access.org_id, body.url, body.event_types, body.description, body.active
        )
    except SignoffError as exc:
        cause, shown_values = _beside(exc, "url"), values | {"event_types": events}
        raise await _refused(
            request, cause, "settings/webhooks.html", context, shown_values
        ) from exc
    shown = {"issued": WebhookRead.of(issued.webhook), "secret": issued.secret}
    return await _page(request, access, "settings/webhooks.html", context, shown, status=201)


def _webhook_context(
    access: OrgAccess, webhooks: WebhookServiceDep, webhook_id: uuid.UUID
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        webhook = await webhooks.get(access.org_id, webhook_id)
        found, more = await webhooks.deliveries(access.org_id, webhook_id, PageRequest(50), None)
        return {
            "webhook": WebhookRead.of(webhook),
            "etag": webhook_etag(webhook),
            "deliveries": [DeliveryRead.of(d.delivery, d.attempts) for d in found],
            "more": more is not None,
        }

    return build


@router.get(BASE + "/webhooks/{webhook_id}")
async def webhook_page(
    request: Request,
    webhook_id: uuid.UUID,
    browser: BrowserDep,
    access: WebhooksAdmin,
    webhooks: WebhookServiceDep,
) -> Response:
    """One subscription and its delivery log, newest first, with every attempt."""
    context = _webhook_context(access, webhooks, webhook_id)
    return await _page(request, access, "settings/webhook.html", context)


@router.post(BASE + "/webhooks/{webhook_id}/delete")
async def delete_webhook(
    request: Request,
    webhook_id: uuid.UUID,
    browser: BrowserDep,
    access: WebhooksAdmin,
    webhooks: WebhookServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/webhook.html",
        _webhook_context(access, webhooks, webhook_id),
        lambda: webhooks.delete(access.org_id, webhook_id),
        _url(access, "/webhooks"),
    )


@router.post(BASE + "/webhooks/{webhook_id}/active")
async def set_webhook_active(
    request: Request,
    webhook_id: uuid.UUID,
    browser: BrowserDep,
    access: WebhooksAdmin,
    webhooks: WebhookServiceDep,
) -> Response:
    """Pause or resume a subscription, on the version the admin had on screen."""
    form = await request.form()

    async def run() -> None:
        etag = text(form, "etag", max_length=200)
        await webhooks.update(
            access.org_id, webhook_id, etag, {"active": form.get("active") == "true"}
        )

    return await _act(
        request,
        "settings/webhook.html",
        _webhook_context(access, webhooks, webhook_id),
        run,
        _url(access, f"/webhooks/{webhook_id}"),
    )


@router.post(BASE + "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request,
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
    browser: BrowserDep,
    access: WebhooksAdmin,
    webhooks: WebhookServiceDep,
) -> Response:
    return await _act(
        request,
        "settings/webhook.html",
        _webhook_context(access, webhooks, webhook_id),
        lambda: webhooks.redeliver(access.org_id, webhook_id, delivery_id),
        _url(access, f"/webhooks/{webhook_id}#d-{delivery_id}"),
    )


# Templates -------------------------------------------------------------------------------


def _templates_context(
    access: OrgAccess, templates: Templates
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        own = await templates.org_templates(access.org_id)
        return {"templates": [summary(t) for t in [*builtin_templates.builtins(), *own]]}

    return build


@router.get(BASE + "/templates")
async def templates_page(
    request: Request, browser: BrowserDep, access: PolicyAdmin, templates: Templates
) -> Response:
    context = _templates_context(access, templates)
    return await _page(request, access, "settings/templates.html", context)


@router.post(BASE + "/templates")
async def register_template(
    request: Request, browser: BrowserDep, access: PolicyAdmin, templates: Templates
) -> Response:
    """Register a template from a Markdown file (the same slug again: a new version)."""
    form = await request.form()
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
        await templates.register(
            access.org_id, body.slug, body.name, body.markdown, access.principal.user_id
        )

    return await _act(
        request,
        "settings/templates.html",
        _templates_context(access, templates),
        run,
        _url(access, "/templates"),
        field="file",
        values=values,
    )


# Lint policy -----------------------------------------------------------------------------


def _lint_context(access: OrgAccess, policies: Policies) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def build() -> dict[str, Any]:
        policy = await policies.get(access)
        read = policy_read(policy, LINT_DEFAULTS)
        return {
            "policy": read,
            "etag": policy_etag(policy),
            "severities": SEVERITIES,
            "rule_ids": sorted(read.rules),
        }

    return build


@router.get(BASE + "/lint-policy")
async def lint_policy_page(
    request: Request, browser: BrowserDep, access: PolicyAdmin, policies: Policies
) -> Response:
    context = _lint_context(access, policies)
    return await _page(request, access, "settings/lint_policy.html", context)


@router.post(BASE + "/lint-policy")
async def put_lint_policy(
    request: Request, browser: BrowserDep, access: PolicyAdmin, policies: Policies
) -> Response:
    """Which rules run, at which severity, and which severities block a submission; on the
    policy the admin had on screen, as ``PUT /v1/orgs/{org}/lint-policy``."""
    form = await request.form()

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
        await policies.put(
            access,
            text(form, "etag", max_length=200),
            enabled=body.enabled,
            disabled=body.disabled,
            severities=dict(body.severities),
            blocking=list(body.blocking_severities),
        )

    return await _act(
        request,
        "settings/lint_policy.html",
        _lint_context(access, policies),
        run,
        _url(access, "/lint-policy"),
        field="blocking",
    )
