"""The route class of every page: one transaction per request (as the API's), the browser
session first, and errors answered as pages (never as problem+json).

A page that wants to show a refusal beside the field raises ``refused(...)`` with the page
already rendered: it passes through the transaction as the domain error would (rolled back,
or kept when the error keeps changes, e.g. a failed sign-in's audit record).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRouter
from starlette.responses import RedirectResponse, Response

from signoff.core.errors import SignoffError, UnauthorizedError
from signoff.core.inputs import refuse_unstorable
from signoff.core.transaction import TransactionalRoute
from signoff.web.render import html
from signoff.web.session import browser_session

SIGN_IN = "/ui/sign-in"


class PageRefused(SignoffError):
    """A domain refusal, with the page that shows it."""

    def __init__(self, cause: SignoffError, response: Response) -> None:
        super().__init__(cause.detail)
        self.cause = cause
        self.response = response


class KeptPageRefused(PageRefused):
    keep_changes = True


def refused(
    request: Request, cause: SignoffError, template: str, context: Mapping[str, Any]
) -> PageRefused:
    """The form page again, with the refusal in words, at the refusal's status."""
    response = html(request, template, {**context, "error": cause}, status=cause.status)
    if "Retry-After" in cause.headers:  # a throttle's refusal says when to try again
        response.headers["Retry-After"] = cause.headers["Retry-After"]
    kind = KeptPageRefused if cause.keep_changes else PageRefused
    return kind(cause, response)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return html(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


class WebRoute(TransactionalRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                await refuse_unstorable(request, form=request.method == "POST")
                return await handler(request)
            except PageRefused as exc:
                return exc.response
            except UnauthorizedError:
                if request.method != "GET":
                    return RedirectResponse(SIGN_IN, status_code=303)
                query = request.url.query
                target = quote(request.url.path + (f"?{query}" if query else ""), safe="")
                return RedirectResponse(f"{SIGN_IN}?next={target}", status_code=303)
            except SignoffError as exc:
                # A page of another organization, or of nothing, is the same 404 page: the
                # API's rule that a row the caller may not see does not exist.
                return error_page(request, exc.status, exc.title, exc.detail)
            except RequestValidationError:
                return error_page(
                    request, 422, "This address is not valid", "Check the link and try again."
                )

        return page


def web_router() -> APIRouter:
    """A router of pages: not in the OpenAPI document, the browser session resolved first."""
    return APIRouter(
        route_class=WebRoute,
        include_in_schema=False,
        dependencies=[Depends(browser_session)],
    )
