""" "Sign in with <issuer>": the redirect to the identity provider and its callback.

Both are under the sign-in throttle's counter per client address (``LoginThrottle``): a
failed callback counts as a wrong password does, and a spent counter refuses both. The
flow cookie carries the sign-in's ``state`` and where to go after it, signed with the
server's secret and valid ten minutes; the callback must bring back the same state (no
login CSRF: a code obtained by someone else cannot be redeemed in this browser). The
callback is a GET (the provider redirects the browser), so its writes (the user at first
sign-in, the session) go through ``side_write``, committed at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from signoff.accounts.deps import Runtime
from signoff.accounts.errors import ExternalSignInFailed
from signoff.accounts.oidc import ExternalIdentityClaims, external_principal
from signoff.accounts.oidc_login import OidcLogin
from signoff.accounts.throttle import LoginThrottled
from signoff.core.config import Settings
from signoff.core.errors import NotFoundError, SignoffError
from signoff.core.events import EventRecorder
from signoff.core.services import Services
from signoff.core.transaction import UnitOfWork, UoW
from signoff.core.web import ClientAddress, SettingsDep, event_context
from signoff.orgs.deps import get_access_service, get_repo
from signoff.web.forms import safe_next
from signoff.web.routing import refused, web_router
from signoff.web.session import COOKIE, Browser, BrowserDep, cookie_header, sessions_for

router = web_router()
FLOW_COOKIE = "signoff_oidc"
FLOW_TTL_S = 600
CALLBACK = "/ui/sign-in/oidc/callback"
Param = Annotated[str | None, Query(max_length=4000)]


def sign_in_context(
    runtime: Runtime, next_: str, email: str, settings: Settings
) -> dict[str, object]:
    """What the sign-in page shows, with the provider's button when one is configured."""
    login = runtime.oidc_login
    return {
        "next": next_,
        "email": email,
        "signup": settings.signup_open,
        "oidc_issuer": login.display_name if login is not None else None,
    }


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"oidc-flow:{payload}".encode(), hashlib.sha256).hexdigest()


def _flow_cookie(secret: str, state: str, target: str, now: float) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([state, int(now), target]).encode()).decode()
    return f"{payload}.{_mac(secret, payload)}"


def _read_flow(secret: str, value: str | None, now: float) -> tuple[str, str]:
    """The state and target of this browser's sign-in, or a refusal in words."""
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise ExternalSignInFailed("This sign-in was not started in this browser. Start again.")
    state, started, target = json.loads(base64.urlsafe_b64decode(payload))
    if now - started > FLOW_TTL_S:
        raise ExternalSignInFailed("The sign-in took too long. Start again.")
    return str(state), safe_next(str(target))


def _login(runtime: Runtime) -> OidcLogin:
    if runtime.oidc_login is None:
        raise NotFoundError("No identity provider is configured on this server.")
    return runtime.oidc_login


def _redirect_uri(request: Request, settings: Settings) -> str:
    base = settings.server.public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK


@router.get("/ui/sign-in/oidc")
async def start_oidc_sign_in(
    request: Request,
    browser: BrowserDep,
    runtime: Runtime,
    settings: SettingsDep,
    address: ClientAddress,
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    login = _login(runtime)
    target = safe_next(next_)
    try:
        await runtime.throttle.check_address(address)
        url, state = await login.start(_redirect_uri(request, settings))
    except SignoffError as exc:
        context = sign_in_context(runtime, target, "", settings)
        raise refused(request, exc, "auth/sign_in.html", context) from exc
    secret = settings.secret_key.get_secret_value()
    response = RedirectResponse(url, status_code=303)
    flow = _flow_cookie(secret, state, target, Services.of(request.app).clock.now().timestamp())
    response.headers.append(
        "set-cookie", cookie_header(FLOW_COOKIE, flow, settings, max_age=FLOW_TTL_S)
    )
    return response


async def _start_session(
    request: Request,
    runtime: Runtime,
    uow: UnitOfWork,
    browser: Browser,
    claims: ExternalIdentityClaims,
) -> str:
    """The person behind the verified id_token, signed in: a new session (rotated), and
    a member of the organizations the provider's org claim names, by the rule its API
    tokens follow (``AccessService``)."""
    async with uow.side_write() as session:
        services = Services.of(request.app)
        clock, settings = services.clock, services.settings
        events = EventRecorder(
            session,
            clock,
            context=await event_context(request, None),
            listeners=services.event_listeners,
        )
        users = runtime.users(session, events, clock)
        user = await users.sign_in_external(claims)
        access = await get_access_service(
            request, await get_repo(request, session), clock, settings
        )
        await access.join_claimed(external_principal(user.id, claims), events)
        return await sessions_for(request, session).start(user.id, replacing=browser.token)


@router.get(CALLBACK)
async def finish_oidc_sign_in(
    request: Request,
    browser: BrowserDep,
    runtime: Runtime,
    settings: SettingsDep,
    uow: UoW,
    address: ClientAddress,
    code: Param = None,
    state: Param = None,
    error: Param = None,
) -> Response:
    login = _login(runtime)
    secret = settings.secret_key.get_secret_value()
    clear = cookie_header(FLOW_COOKIE, "", settings, max_age=None, clear=True)
    target = "/ui/"
    try:
        await runtime.throttle.check_address(address)
    except LoginThrottled as exc:
        context = sign_in_context(runtime, target, "", settings)
        raise refused(request, exc, "auth/sign_in.html", context) from exc
    try:
        expected, target = _read_flow(
            secret,
            request.cookies.get(FLOW_COOKIE),
            Services.of(request.app).clock.now().timestamp(),
        )
        if error is not None:
            raise ExternalSignInFailed(f"The identity provider answered “{error[:100]}”.")
        if not state or not code or not hmac.compare_digest(state, expected):
            raise ExternalSignInFailed("The answer does not belong to this sign-in. Start again.")
        claims = await login.finish(code, state, _redirect_uri(request, settings))
        token = await _start_session(request, runtime, uow, browser, claims)
    except SignoffError as exc:
        # A failed answer counts against the address as a wrong password does: each one
        # may have cost a call to the provider.
        await runtime.throttle.failed_address(address)
        context = sign_in_context(runtime, target, "", settings)
        failure = refused(request, exc, "auth/sign_in.html", context)
        failure.response.headers.append("set-cookie", clear)
        raise failure from exc
    response = RedirectResponse(target, status_code=303)
    response.headers.append("set-cookie", clear)
    response.headers.append(
        "set-cookie",
        cookie_header(COOKIE, token, settings, max_age=settings.web.session_absolute_s),
    )
    return response
