"""The request pipeline around the routes, as plain ASGI (no per-request task or copy).

Outermost first: ``EdgeMiddleware`` (request id, security headers, access log, metrics, the
last-resort 500), then CORS and gzip (Starlette's), ``TimeoutMiddleware``,
``BodyLimitMiddleware``, and FastAPI's own exception handling and routing.
"""

from __future__ import annotations

import asyncio
import random
import re
import time

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signoff.core.db import classify_db_error
from signoff.core.errors import SignoffError
from signoff.core.logging import bind_request, clear_request, get_logger
from signoff.core.metrics import Metrics
from signoff.core.problems import count_outage, send_problem
from signoff.core.types import new_id

log = get_logger("signoff.access")
error_log = get_logger("signoff.errors")

# Accept a caller's id only when it is short and boring; anything else could be a log
# injection or a way to make ids collide on purpose.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc: scripts and styles served by Signoff (signoff.web.docs sets the same).
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


def request_id_for(headers: Headers) -> str:
    incoming = headers.get("x-request-id")
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    return new_id().hex


class EdgeMiddleware:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, *, hsts: bool, access_sample: float = 1.0
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_sample = access_sample
        self._api_headers = _security_headers(API_CSP, hsts=hsts)
        self._docs_headers = _security_headers(DOCS_CSP, hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(Headers(scope=scope))
        scope.setdefault("state", {})["request_id"] = request_id
        clear_request()
        bind_request(request_id=request_id)
        status = 500
        started = False
        fixed = self._docs_headers if scope["path"] in DOCS_PATHS else self._api_headers
        request_id_header = (b"x-request-id", request_id.encode())

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                raw = message.setdefault("headers", [])
                if not isinstance(raw, list):
                    raw = message["headers"] = list(raw)
                present = {name.lower() for name, _ in raw}
                raw.append(request_id_header)
                raw.extend(pair for pair in fixed if pair[0] not in present)
                # The caller's request budgets (core/requestlimit.py); a 429 names its own.
                if b"ratelimit" not in present:
                    raw.extend(scope["state"].get("ratelimit_headers", ()))
            await send(message)

        begin = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # A driver's own error (a refused connection is a bare OSError) reaches no
            # exception handler: classify it here, where everything that escapes arrives.
            mapped = classify_db_error(exc)
            if mapped is None:
                error_log.exception("request.failed", method=scope["method"], path=scope["path"])
            else:
                error_log.warning(
                    "request.database_unavailable",
                    path=scope["path"],
                    code=mapped.code,
                    reason=getattr(mapped, "reason", None),
                    error=type(exc).__name__,
                )
                count_outage(self.metrics, mapped)
            if not started:
                await self._answer_failure(scope, receive, send_with_headers, mapped)
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, status, time.perf_counter() - begin)

    @staticmethod
    async def _answer_failure(
        scope: Scope, receive: Receive, send: Send, mapped: SignoffError | None
    ) -> None:
        if mapped is None:
            await send_problem(
                scope,
                receive,
                send,
                500,
                "internal_error",
                detail="An unexpected error occurred; it has been logged.",
            )
            return
        await send_problem(
            scope,
            receive,
            send,
            mapped.status,
            mapped.code,
            mapped.headers,
            title=mapped.title,
            detail=mapped.detail,
        )

    @staticmethod
    def _template(scope: Scope) -> str | None:
        route = scope.get("route")
        if route is None:
            return None
        # Routes of included routers know only their own path, not the prefixes above them;
        # the router leaves the matched route's full template in the scope. (Building the
        # map of every route's template instead took seconds of the event loop, on the
        # first request after each start.)
        context = (scope.get("fastapi") or {}).get("effective_route_context")
        template = getattr(context, "path_format", None)
        return template if isinstance(template, str) else getattr(route, "path", None)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        template = self._template(scope)
        if template is None:
            # Unmatched paths share one label: a scanner must not create a series per URL.
            template = "<unmatched>" if status in (404, 405) else scope["path"]
        method = scope["method"]
        labels = {"method": method, "route": template, "status": str(status)}
        self.metrics.requests.labels(**labels).inc()
        self.metrics.latency.labels(**labels).observe(seconds)
        if status < 400 and self.access_sample < 1 and random.random() >= self.access_sample:  # noqa: S311 (a sample, not a secret)
            return
        client = scope.get("client")
        log.info(
            "request",
            method=method,
            route=template,
            path=scope["path"],
            status=status,
            duration_ms=round(seconds * 1000, 2),
            client=client[0] if client else None,
        )


def _security_headers(csp: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    """Headers every response carries unless the route set its own, encoded once."""
    headers = {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "content-security-policy": csp,
        "cache-control": "no-store",
    }
    if hsts:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class TimeoutMiddleware:
    """Give up on a request that takes too long, and tell the client which side was slow."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        body_complete = not _has_body(Headers(scope=scope))

        async def tracking_receive() -> Message:
            nonlocal body_complete
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_complete = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.seconds) as deadline:
                await self.app(scope, tracking_receive, tracking_send)
        except TimeoutError:
            if not deadline.expired() or started:
                raise
            if body_complete:
                await send_problem(
                    scope,
                    receive,
                    send,
                    503,
                    "request_timeout",
                    headers={"Retry-After": "1"},
                    detail=f"The request took longer than {self.seconds:g} s.",
                )
            else:
                await send_problem(
                    scope,
                    receive,
                    send,
                    408,
                    "request_timeout",
                    headers={"Connection": "close"},
                    detail="The request body did not arrive in time.",
                )


def _has_body(headers: Headers) -> bool:
    if "transfer-encoding" in headers:
        return True
    length = headers.get("content-length")
    return length is not None and length != "0"


class BodyLimitMiddleware:
    """Refuse a body over the limit before reading it when its length is declared, and stop
    reading it the moment it goes over when it is not (chunked uploads)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(
                    scope,
                    receive,
                    send,
                    400,
                    "bad_request",
                    detail="Content-Length is not a number.",
                )
                return
            if int(declared) > self.max_bytes:
                await send_problem(
                    scope,
                    receive,
                    send,
                    413,
                    "payload_too_large",
                    headers={"Connection": "close"},
                    detail=self._detail(),
                )
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._detail(), headers={"Connection": "close"})
            return message

        await self.app(scope, limited_receive, send)

    def _detail(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."
