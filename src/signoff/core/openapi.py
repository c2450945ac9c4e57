"""The OpenAPI document, with every error response declared as problem+json."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from signoff.core.cpu import in_daemon_thread
from signoff.core.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# A header parameter declared optional (so that its absence reaches the route and becomes a
# precise problem, e.g. 428) but that every successful request carries: marked required.
REQUIRED_MARKER = "x-signoff-required"
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Answers any route can give, whatever it declares itself.
_ALWAYS = {
    "401": "`invalid_token`, `session_revoked`: a bearer credential was sent and is not valid "
    "(on any route, even one that needs none)",
    "500": "`internal_error`: an unexpected error (logged; nothing is leaked)",
    "503": "`database_unavailable`, `database_busy`, `database_timeout`: the database cannot "
    "serve the request now, or the request took longer than the server allows; retry after "
    "`Retry-After`",
}
_WITH_BODY = {
    "400": "`malformed_json`: the body is not valid JSON",
    "408": "`request_timeout`: the body arrived too slowly",
    "413": "`payload_too_large`: the body is over the size limit",
    "415": "`unsupported_media_type`: the body is not in a media type the route accepts",
    "422": "`validation_failed`: the input breaks the schema; `errors[]` says where",
}
_WITH_PARAMS = {"422": _WITH_BODY["422"]}
_WITH_CURSOR = {"400": "`invalid_cursor`: the cursor is not one this server issued for this list"}
_WITH_IF_MATCH = {
    "412": "`precondition_failed`: If-Match does not match the current ETag; GET and retry",
    "428": "`precondition_required`: this change needs an If-Match header",
}


def operation_id(route: APIRoute) -> str:
    """A route's operationId is its function's name (`get_document`), not FastAPI's default
    of name, path and method glued together: clients generate method names from it, and trace
    links name operations by it."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _serve_off_the_loop(app)


def _serve_off_the_loop(app: FastAPI) -> None:
    """Build the document in a thread: walking every route's dependencies takes seconds of
    CPU, once per process, which must not stop the event loop (FastAPI's own route would
    build it on the loop at the first request)."""
    if app.openapi_url is None:
        return
    app.router.routes[:] = [
        r for r in app.router.routes if getattr(r, "path", None) != app.openapi_url
    ]

    async def serve_openapi(_request: Request) -> JSONResponse:
        return JSONResponse(await openapi_document(app))

    app.add_route(app.openapi_url, serve_openapi, include_in_schema=False)


async def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, built once in a worker thread; every caller awaits the same
    build (``signoff serve`` starts it at start-up)."""
    build: asyncio.Future[dict[str, Any]] | None = getattr(app.state, "openapi_build", None)
    if build is None:
        build = in_daemon_thread(app.openapi)
        app.state.openapi_build = build
    return await asyncio.shield(build)


def with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["ProblemError"] = ProblemError.model_json_schema()
    components["Problem"].pop("$defs", None)
    for path_item in schema.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is not None:
                _declare_problems(operation)
    for name in _FASTAPI_ERROR_SCHEMAS:
        components.pop(name, None)
    return schema


def _declare_problems(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    implied = [_ALWAYS]
    parameters = operation.get("parameters") or []
    if "requestBody" in operation:
        implied.append(_WITH_BODY)
    elif parameters:
        implied.append(_WITH_PARAMS)
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
        implied.append(_WITH_CURSOR)
    for parameter in parameters:
        if parameter.get("schema", {}).pop(REQUIRED_MARKER, False):
            parameter["required"] = True
    if_match = [
        p for p in parameters if p.get("in") == "header" and p["name"].lower() == "if-match"
    ]
    if any(p.get("required") for p in if_match):
        implied.append(_WITH_IF_MATCH)
    elif if_match:
        implied.append({"412": _WITH_IF_MATCH["412"]})
    for group in implied:
        for status, description in group.items():
            entry = responses.setdefault(status, {"description": description})
            current = entry.get("description")
            if current in ("Validation Error", None):
                entry["description"] = description
            elif description not in current:
                entry["description"] = f"{current}; {description}"
    for status, entry in responses.items():
        if status.isdigit() and int(status) >= 400 and _is_problem(entry):
            entry["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}


def _is_problem(entry: dict[str, Any]) -> bool:
    content = entry.get("content")
    if not content:
        return True
    refs = [str(media.get("schema", {}).get("$ref", "")) for media in content.values()]
    return all(ref.rsplit("/", 1)[-1] in ("Problem", *_FASTAPI_ERROR_SCHEMAS) for ref in refs)
