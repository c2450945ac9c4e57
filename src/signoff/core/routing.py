"""The route class and router every part of the API uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from fastapi import Depends, Request, params
from fastapi.routing import APIRouter
from starlette.responses import Response

from signoff.core.errors import UnsupportedMediaTypeError
from signoff.core.idempotency import idempotency_guard, is_idempotent
from signoff.core.inputs import refuse_unstorable
from signoff.core.transaction import Handler, TransactionalRoute

LeanResolver = Callable[[Request], Awaitable[Response | None]]
E = TypeVar("E", bound=Callable[..., Any])
_LEAN = "__signoff_lean__"


def lean(resolver: LeanResolver) -> Callable[[E], E]:
    """Serve the route's common case with ``resolver``, before FastAPI solves the route's
    dependencies: solving them was most of the CPU of a cached document read (issue 16).
    The route as declared (its OpenAPI, its validation, its endpoint) is unchanged: the
    resolver calls the same dependency functions and the same endpoint, and returns None for
    any request outside the case it knows (a query parameter, a value the declared
    validation might refuse), which the route then serves as declared."""

    def mark(endpoint: E) -> E:
        setattr(endpoint, _LEAN, resolver)
        return endpoint

    return mark


class SignoffRoute(TransactionalRoute):
    """A transactional route; a POST also honours ``Idempotency-Key``."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: set[str] | list[str] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        **kwargs: Any,
    ) -> None:
        deps = list(dependencies or [])
        posts = methods is not None and "POST" in {m.upper() for m in methods}
        # Including a router re-creates its routes with their dependencies: add once.
        present = any(d.dependency is idempotency_guard for d in deps)
        if posts and is_idempotent(endpoint) and not present:
            deps.insert(0, Depends(idempotency_guard))
        super().__init__(path, endpoint, methods=methods, dependencies=deps, **kwargs)

    def solved_handler(self) -> Handler:
        handler = super().solved_handler()
        resolver: LeanResolver | None = getattr(self.endpoint, _LEAN, None)
        if resolver is None:
            return handler

        async def lean_first(request: Request) -> Response:
            response = await resolver(request)
            return response if response is not None else await handler(request)

        return lean_first

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        field = self.body_field
        form = field is not None and isinstance(field.field_info, params.Form)
        accepted = _FORM_TYPES if form else ("application/json",)

        async def checked_input(request: Request) -> Response:
            # FastAPI would read the body anyway and answer 422 (or accept an empty form):
            # the client deserves to hear that the media type is the problem.
            if (
                field is not None
                and _has_body(request)
                and not _accepts(accepted, request.headers.get("content-type"))
            ):
                raise UnsupportedMediaTypeError(
                    f"Send the body as {' or '.join(accepted)}.",
                    headers={"Accept-Post": ", ".join(accepted)},
                )
            # Before any dependency runs: an organization's slug with a NUL in it must be a
            # 422, not a query that fails on PostgreSQL.
            await refuse_unstorable(request, form=form)
            return await handler(request)

        return checked_input


def signoff_router(**kwargs: Any) -> APIRouter:
    """A router whose routes each run in one transaction (and honour Idempotency-Key)."""
    return APIRouter(route_class=SignoffRoute, **kwargs)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _accepts(accepted: tuple[str, ...], content_type: str | None) -> bool:
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    if media in accepted:
        return True
    # Structured-syntax suffixes (RFC 6839): application/merge+json is JSON.
    json_ok = "application/json" in accepted
    return json_ok and media.startswith("application/") and media.endswith("+json")


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length != "0")
