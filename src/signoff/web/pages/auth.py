"""Sign-in, sign-up, sign-out, and the home page that lists the person's organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from signoff.accounts.deps import Runtime, UserServiceDep
from signoff.accounts.errors import SignupClosed
from signoff.core.errors import SignoffError
from signoff.core.pagination import PageRequest
from signoff.core.principal import Principal
from signoff.core.transaction import UoW
from signoff.core.web import ClientAddress, SettingsDep
from signoff.orgs.deps import InvitationServiceDep, OrgServiceDep
from signoff.orgs.schemas import InvitationAccept, SignupCreate
from signoff.web.forms import parse, safe_next, text
from signoff.web.pages.oidc import sign_in_context
from signoff.web.render import html
from signoff.web.routing import SIGN_IN, refused, web_router
from signoff.web.session import COOKIE, BrowserDep, cookie_header, sessions_for

router = web_router()
Next = Annotated[str | None, Query(alias="next", max_length=2000)]


def _principal(request: Request) -> Principal | None:
    found = request.state.principal
    return found if isinstance(found, Principal) else None


@router.get("/ui/", name="home")
async def home(request: Request, browser: BrowserDep, orgs: OrgServiceDep) -> Response:
    principal = _principal(request)
    if principal is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    mine, _ = await orgs.mine(principal, PageRequest(limit=200))
    if len(mine) == 1:
        return RedirectResponse(f"/ui/orgs/{mine[0].org.slug}/inbox", status_code=303)
    return html(request, "auth/home.html", {"orgs": mine})


@router.get("/ui/sign-in")
async def sign_in_page(
    request: Request,
    browser: BrowserDep,
    settings: SettingsDep,
    runtime: Runtime,
    next_: Next = None,
) -> Response:
    context = sign_in_context(runtime, safe_next(next_), "", settings)
    return html(request, "auth/sign_in.html", context)


@router.post("/ui/sign-in")
async def sign_in(
    request: Request,
    browser: BrowserDep,
    users: UserServiceDep,
    uow: UoW,
    settings: SettingsDep,
    runtime: Runtime,
    address: ClientAddress,
) -> Response:
    form = await request.form()
    target = safe_next(text(form, "next", required=False, max_length=2000))
    email = text(form, "email", required=False, max_length=320)
    context = sign_in_context(runtime, target, email, settings)
    try:
        user = await users.sign_in(email, text(form, "password", required=False), address)
    except SignoffError as exc:
        # One message for an unknown email and a wrong password (UserService says so).
        raise refused(request, exc, "auth/sign_in.html", context) from exc
    token = await sessions_for(request, uow.session()).start(user.id, replacing=browser.token)
    response = RedirectResponse(target, status_code=303)
    response.headers.append(
        "set-cookie",
        cookie_header(COOKIE, token, settings, max_age=settings.web.session_absolute_s),
    )
    return response


@router.post("/ui/sign-out")
async def sign_out(
    request: Request, browser: BrowserDep, uow: UoW, settings: SettingsDep
) -> Response:
    if browser.token:
        await sessions_for(request, uow.session()).end(browser.token)
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.headers.append(
        "set-cookie", cookie_header(COOKIE, "", settings, max_age=None, clear=True)
    )
    return response


@router.get("/ui/sign-up")
async def sign_up_page(request: Request, browser: BrowserDep, settings: SettingsDep) -> Response:
    return html(request, "auth/sign_up.html", {"values": {}, "open": settings.signup_open})


@router.post("/ui/sign-up")
async def sign_up(
    request: Request, browser: BrowserDep, orgs: OrgServiceDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    names = ("name", "email", "org_name", "org_slug")
    values = {n: text(form, n, required=False, max_length=320) for n in names}
    context = {"values": values, "open": settings.signup_open}
    try:
        if not settings.signup_open:
            raise SignupClosed("Ask an administrator for an account.")
        body = parse(SignupCreate, {**values, "password": text(form, "password", required=False)})
        await orgs.sign_up(body.email, body.password, body.name, body.org_name, body.org_slug)
    except SignoffError as exc:
        raise refused(request, exc, "auth/sign_up.html", context) from exc
    # The same answer whether the email had an account (the API's rule): go and sign in.
    return RedirectResponse(f"{SIGN_IN}?next=/ui/orgs/{values['org_slug']}/inbox", status_code=303)


@router.get("/ui/invitations/accept")
async def accept_invitation_page(request: Request, browser: BrowserDep) -> Response:
    if _principal(request) is None:
        return RedirectResponse(f"{SIGN_IN}?next=/ui/invitations/accept", status_code=303)
    return html(request, "auth/accept.html", {})


@router.post("/ui/invitations/accept")
async def accept_invitation(
    request: Request, browser: BrowserDep, invitations: InvitationServiceDep
) -> Response:
    """Join an organization with an invitation's token, as ``POST /v1/invitations/accept``."""
    principal = _principal(request)
    if principal is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    form = await request.form()
    try:
        body = parse(InvitationAccept, {"token": text(form, "token", required=False)})
        accepted = await invitations.accept(principal, body.token)
    except SignoffError as exc:
        # The service answers every bad token with one 404: shown beside the field.
        exc.errors = exc.errors or [{"field": "token", "message": exc.detail}]
        raise refused(request, exc, "auth/accept.html", {}) from exc
    return RedirectResponse(f"/ui/orgs/{accepted.org.slug}/inbox", status_code=303)
