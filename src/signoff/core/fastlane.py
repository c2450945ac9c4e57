"""The fast lane: the hottest requests answered in plain ASGI, before Starlette's routing,
the per-route middleware and FastAPI's dependency solving (issue 16, design §10.6).

A *lane* is a method, a path pattern, the declared route it stands for, and a handler that
either answers the request exactly as the route would (status, headers, body: tests compare
them byte for byte) and returns True, or returns False without having sent anything, and
the request goes on to the full app as if the lane were not there. A handler answers only
what it knows for certain; everything else (a query parameter it does not know, a cache
miss, a refusal) is the full app's.

It sits inside ``EdgeMiddleware`` and ``DrainMiddleware`` (request id, security headers,
access log, metrics, the last-resort 500, the 503 while stopping apply to it as to every
request) and outside CORS, gzip, the timeout and the body limit, which it does not need:

* a request with a body (``Content-Length`` other than 0, ``Transfer-Encoding``) is never
  taken, so the body limit has nothing to refuse;
* with CORS configured, a request with an ``Origin`` is never taken (CORS would add headers);
* gzip: a lane's answer goes through Starlette's own gzip responder, configured as the
  stack's ``GZipMiddleware`` (which also adds ``Vary: Accept-Encoding`` to a large answer it
  leaves as it is);
* the timeout: a lane runs at most one indexed select, which the database's own statement
  timeout bounds.

The route matched is put in the scope, so metrics and the access log label the request with
the route's template as they do for the full app.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

# The request's headers by lower-case name, the first of each (as Starlette's ``get``).
RawHeaders = dict[bytes, bytes]
Handler = Callable[[Scope, Receive, Send, "re.Match[str]", RawHeaders], Awaitable[bool]]


@dataclass(frozen=True)
class Route:
    """What the edge reads of the route that answered (``EdgeMiddleware._template``)."""

    path: str


@dataclass(frozen=True)
class Lane:
    method: str
    path: re.Pattern[str]
    route: Route  # the declared route it stands for: its template labels metrics and logs
    handler: Handler


class FastLane:
    def __init__(
        self, app: ASGIApp, lanes: Sequence[Lane], *, cors: bool, gzip_min_bytes: int
    ) -> None:
        self.app = app
        self.lanes = tuple(lanes)
        self.cors = cors
        self.gzip = GZipMiddleware(app, minimum_size=gzip_min_bytes)
        self.answered = 0  # requests a lane answered (the tests' proof that it did)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for lane in self.lanes:
                if scope["method"] != lane.method:
                    continue
                match = lane.path.fullmatch(scope["path"])
                if match is None:
                    continue
                headers = self._headers(scope)
                encoded = self._encoded(headers, send) if headers is not None else send
                if headers is not None and await lane.handler(
                    scope, receive, encoded, match, headers
                ):
                    scope["route"] = lane.route
                    self.answered += 1
                    return
                break
        await self.app(scope, receive, send)

    def _encoded(self, headers: RawHeaders, send: Send) -> Send:
        """``send`` through the gzip responder the stack's ``GZipMiddleware`` would use."""
        gzip = self.gzip
        encoder: IdentityResponder
        if b"gzip" in headers.get(b"accept-encoding", b""):
            encoder = GZipResponder(
                self.app,
                gzip.minimum_size,
                compresslevel=gzip.compresslevel,
                thread_minimum_size=gzip.thread_minimum_size,
                exclude_content_types=gzip.exclude_content_types,
            )
        else:
            encoder = IdentityResponder(
                self.app, gzip.minimum_size, exclude_content_types=gzip.exclude_content_types
            )
        encoder.send = send
        return encoder.send_with_compression

    def _headers(self, scope: Scope) -> RawHeaders | None:
        """The headers, or None when the request is not one a lane may take."""
        headers: RawHeaders = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.lower(), value)
        length = headers.get(b"content-length")
        if (length is not None and length != b"0") or b"transfer-encoding" in headers:
            return None
        if self.cors and b"origin" in headers:
            return None
        return headers


def static_lane(answer: Response) -> Handler:
    """A route whose answer never changes (``/health/live``): the route's own response,
    made once, sent again with a fresh header list (the edge appends to it)."""
    body, raw = answer.body, tuple(answer.raw_headers)
    status = answer.status_code

    async def handler(
        scope: Scope, receive: Receive, send: Send, match: re.Match[str], headers: RawHeaders
    ) -> bool:
        await send({"type": "http.response.start", "status": status, "headers": list(raw)})
        await send({"type": "http.response.body", "body": body})
        return True

    return handler
