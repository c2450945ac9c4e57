"""RFC 9457 problem details: the one shape of every error response Signoff sends."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send

from signoff.core.db import DatabaseUnavailableError, classify_db_error
from signoff.core.errors import SignoffError
from signoff.core.metrics import Metrics
from signoff.core.services import Services

PROBLEM_MEDIA_TYPE = "application/problem+json"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ProblemError(BaseModel):
    """One input problem: where (a JSON pointer into the body, or a parameter) and what."""

    model_config = ConfigDict(extra="allow")
    detail: str
    pointer: str | None = Field(default=None, examples=["/title"])
    parameter: str | None = Field(default=None, examples=["limit"])
    code: str | None = Field(default=None, examples=["missing"])


class Problem(BaseModel):
    """RFC 9457 problem details, with Signoff's stable ``code`` and the ``request_id``."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["/problems/not_found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str = Field(examples=["not_found"])
    request_id: str | None = None
    errors: list[ProblemError] | None = None


def problem_body(
    status: int,
    code: str,
    *,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    errors: Iterable[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    title = title or _status_phrase(status)
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id is not None:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = [dict(e) for e in errors]
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return body


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request, status: int, code: str, headers: Mapping[str, str] | None = None, **kw: Any
) -> Response:
    body = problem_body(
        status, code, instance=request.url.path, request_id=request_id_of(request.scope), **kw
    )
    return Response(
        encode(body), status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


async def send_problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    headers: Mapping[str, str] | None = None,
    **kw: Any,
) -> None:
    """Answer with a problem from plain ASGI middleware, outside FastAPI's handlers."""
    body = problem_body(
        status, code, instance=scope.get("path"), request_id=request_id_of(scope), **kw
    )
    response = Response(
        encode(body), status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )
    await response(scope, receive, send)


async def send_error(
    scope: Scope, receive: Receive, send: Send, exc: SignoffError, metrics: Metrics | None
) -> None:
    """A ``SignoffError`` from plain ASGI (the fast lane), as its handler renders it."""
    count_outage(metrics, exc)
    await send_problem(scope, receive, send, exc.status, exc.code, exc.headers, **_fields(exc))


async def _signoff_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignoffError)
    # Apps made without create_app (a test's) have no services and count nothing.
    services = getattr(request.app.state, "services", None)
    count_outage(services.metrics if isinstance(services, Services) else None, exc)
    return problem_response(request, exc.status, exc.code, exc.headers, **_fields(exc))


def _fields(exc: SignoffError) -> dict[str, Any]:
    return {"title": exc.title, "detail": exc.detail, "errors": exc.errors, "extra": exc.extra}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    headers = exc.headers
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers = {**(headers or {}), "Allow": ", ".join(await allowed_methods(request))}
    return problem_response(request, exc.status_code, code, headers, detail=detail)


async def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path. Starlette's 405 names only the methods
    of the first route whose path matched, and FastAPI makes a route per method; RFC 9110
    asks `Allow` for all of them."""
    path = request.scope.get("path", "")
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        request.app.state, "route_table", None
    )
    if table is None:
        # Walking every route's context builds every route's dependencies again: seconds of
        # CPU, once per process, which must not stop the event loop.
        table = await asyncio.to_thread(_route_table, request.app)
    allowed = {m for pattern, ms in table if pattern.match(path) for m in ms}
    return sorted(allowed)


def _route_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path pattern and methods, compiled once per app."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "route_table", None
    )
    if table is None:
        table = [
            (compile_path(context.path)[0], frozenset(context.methods))
            for context in iter_route_contexts(app.routes)
            if context.path is not None and context.methods
        ]
        app.state.route_table = table
    return table


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    malformed = [e for e in raw if e.get("type") == "json_invalid"]
    if malformed:
        reason = (malformed[0].get("ctx") or {}).get("error", "invalid JSON")
        position = malformed[0]["loc"][-1] if malformed[0].get("loc") else None
        detail = f"The body is not valid JSON: {reason}"
        if isinstance(position, int):
            detail += f" (at character {position})"
        return problem_response(request, 400, "malformed_json", detail=detail)
    errors = [_input_error(e) for e in raw]
    detail = "; ".join(_describe(e) for e in errors[:5])
    return problem_response(request, 422, "validation_failed", detail=detail, errors=errors)


def _input_error(error: Mapping[str, Any]) -> dict[str, Any]:
    # Echoing the offending input back would copy passwords and tokens into responses and
    # client logs; the location and the reason are enough to fix the request.
    loc = [part for part in error.get("loc", ()) if part != "__root__"]
    out: dict[str, Any] = {"detail": str(error.get("msg", "invalid")), "code": error.get("type")}
    if loc and loc[0] == "body":
        out["pointer"] = "/" + "/".join(_escape_pointer(str(p)) for p in loc[1:])
    elif loc:
        out["parameter"] = ".".join(str(p) for p in loc[1:]) or str(loc[0])
        out["in"] = str(loc[0])
    return out


def _escape_pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _describe(error: Mapping[str, Any]) -> str:
    where = error.get("pointer") or error.get("parameter") or "body"
    return f"{where}: {error['detail']}"


async def _database_error(request: Request, exc: Exception) -> Response:
    mapped = classify_db_error(exc)
    if mapped is None:
        raise exc  # a bug: the outermost middleware logs it and answers 500
    return await _signoff_error(request, mapped)


def count_outage(metrics: Metrics | None, error: SignoffError) -> None:
    """Count a request refused because the database could not serve it, by reason."""
    if metrics is not None and isinstance(error, DatabaseUnavailableError):
        metrics.database_unavailable.labels(reason=error.reason).inc()


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignoffError, _signoff_error)
    # Pool timeouts and the driver's wrapped errors; a raw OSError from a driver is
    # classified by the outermost middleware, which sees everything that escapes.
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def problems(*errors: type[SignoffError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: every problem it can answer, grouped by status."""
    by_status: dict[int, list[type[SignoffError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "model": Problem,
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in group),
        }
        for status, group in sorted(by_status.items())
    }
