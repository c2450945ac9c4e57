"""The browser's session and CSRF protection, resolved before any page's dependency.

The session cookie holds a random token (``HttpOnly``, ``SameSite=Lax``, ``Secure`` outside
development); the row behind it is in ``web_session``. Every POST carries a CSRF token
(a form field, or the ``X-CSRF-Token`` header): an HMAC of the session under the server's
secret, so it needs no storage. Before sign-in, a random pre-session cookie is what the
token is bound to (the sign-in form is protected as well: no login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.service.web_sessions import ActiveSession, WebSessionService
from signoff.core.clock import Clock
from signoff.core.config import Settings
from signoff.core.errors import ForbiddenError
from signoff.core.events import EventRecorder
from signoff.core.permissions import ALL_SCOPES
from signoff.core.principal import Principal
from signoff.core.services import Services
from signoff.core.transaction import UnitOfWork, unit_of_work

COOKIE = "signoff_session"
PRE_COOKIE = "signoff_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRefused(ForbiddenError):
    code = "csrf_refused"
    title = "The form is out of date"


def sessions_for(
    request: Request, session: AsyncSession, events: EventRecorder | None = None
) -> WebSessionService:
    settings: Settings = Services.of(request.app).settings
    clock: Clock = Services.of(request.app).clock
    return WebSessionService(
        session,
        clock,
        events or EventRecorder(session, clock),
        idle=timedelta(seconds=settings.web.session_idle_s),
        absolute=timedelta(seconds=settings.web.session_absolute_s),
    )


def csrf_token(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def cookie_header(
    name: str, value: str, settings: Settings, *, max_age: int | None, clear: bool = False
) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[name] = "" if clear else value
    morsel = jar[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if settings.cookie_secure:
        morsel["secure"] = True
    if clear:
        morsel["max-age"] = 0
    elif max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


class Browser:
    """Who is at the browser: a live session or nobody, and the CSRF token of its forms."""

    def __init__(self, active: ActiveSession | None, token: str | None, csrf: str) -> None:
        self.active = active
        self.token = token  # the session cookie as sent (also when it is no longer valid)
        self.csrf = csrf

    @property
    def signed_in(self) -> bool:
        return self.active is not None


async def _resolve(request: Request, uow: UnitOfWork) -> Browser:
    settings: Settings = Services.of(request.app).settings
    secret = settings.secret_key.get_secret_value()
    token = request.cookies.get(COOKIE)
    active = None
    if token:
        active = await sessions_for(request, uow.session()).resolve(token)
        if active is not None and active.stale:
            async with uow.side_write() as session:
                await sessions_for(request, session).touch(active)
    cookies: list[str] = []
    if active is not None:
        binding = active.token_hash
    else:
        binding = request.cookies.get(PRE_COOKIE) or ""
        if len(binding) < 32:
            binding = secrets.token_urlsafe(32)
            if request.method not in UNSAFE:
                cookies.append(cookie_header(PRE_COOKIE, binding, settings, max_age=None))
    request.state.web_cookies = cookies
    return Browser(active, token, csrf_token(secret, binding))


async def _check_csrf(request: Request, browser: Browser) -> None:
    origin = request.headers.get("origin")
    # "null" is what a browser sends under a strict referrer policy: the token decides.
    if origin not in (None, "null") and origin != _own_origin(request):
        raise CsrfRefused("This form was sent from another site.")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, browser.csrf):
        raise CsrfRefused("Reload the page and send the form again.")


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def browser_session(request: Request) -> Browser:
    """Resolve the session, refuse a POST without the CSRF token, and make the person the
    request's principal (so the domain dependencies see them as the API sees a token).
    It depends on nothing that reads the principal: it must run first."""
    browser = await _resolve(request, unit_of_work(request))
    active = browser.active
    request.state.principal = (
        Principal(kind="user", id=active.user_id, user_id=active.user_id, scopes=ALL_SCOPES)
        if active is not None
        else None
    )
    request.state.web_page = {
        "me": active,
        "csrf_token": browser.csrf,
        "org": None,
    }
    if request.method in UNSAFE:
        await _check_csrf(request, browser)
    return browser


BrowserDep = Annotated[Browser, Depends(browser_session)]
