"""``Idempotency-Key`` on POST: a retried request gets the first response, not a second write.

The key and the response are stored in the same transaction as the write, so either both
exist or neither does. A replay with the same key and the same request returns the stored
response with ``Idempotent-Replayed: true``; the same key with a different request is refused
(422 ``idempotency_key_reused``). Keys are scoped to the caller and kept for 24 hours. Only
successful responses are stored: a failed request changed nothing and may be retried as is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Header, Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from signoff.core.auth import OptionalPrincipal
from signoff.core.errors import UnprocessableError
from signoff.core.idempotency_records import IdempotencyRecord
from signoff.core.services import Services
from signoff.core.transaction import UoW

TTL = timedelta(hours=24)
# Printable ASCII, no spaces: bounded in the OpenAPI document and by validation (422).
KEY_MAX_LENGTH = 255
KEY_PATTERN = r"^[\x21-\x7e]+$"
# Headers worth replaying: the ones that describe the created resource.
_REPLAYED_HEADERS = ("location", "etag", "content-type")

F = TypeVar("F", bound=Callable[..., Any])


class IdempotencyKeyReusedError(UnprocessableError):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used for a different request"


class IdempotentReplay(Exception):
    """Not an error: the signal that answers a retried request with its stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        # Copied out: the session (and the record with it) is closed before this is answered.
        self.status = record.status_code
        self.headers = dict(record.response_headers)
        self.body = bytes(record.response_body)


def not_idempotent(endpoint: F) -> F:
    """Exclude a POST from ``Idempotency-Key`` handling (its responses must not be stored,
    e.g. because they carry fresh credentials)."""
    endpoint.__signoff_idempotent__ = False  # type: ignore[attr-defined]
    return endpoint


def is_idempotent(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, "__signoff_idempotent__", True))


async def idempotency_guard(
    request: Request,
    uow: UoW,
    principal: OptionalPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="A unique key (up to 255 printable ASCII characters) that makes "
            "retrying this POST safe: a retry returns the first response.",
            min_length=1,
            max_length=KEY_MAX_LENGTH,
            pattern=KEY_PATTERN,
        ),
    ] = None,
) -> None:
    if idempotency_key is None:
        return
    scope = principal.key if principal is not None else "anonymous"
    fingerprint = await _fingerprint(request)
    session = uow.session()
    now = Services.of(request.app).clock.now()
    existing = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == idempotency_key
        )
    )
    if existing is not None and existing.expires_at > now:
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReusedError(
                "Use a new Idempotency-Key for a new request; this one was used for another."
            )
        raise IdempotentReplay(existing)
    if existing is not None:
        await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))

    async def store(session: AsyncSession, response: Response) -> None:
        if not 200 <= response.status_code < 300:
            return
        session.add(
            IdempotencyRecord(
                scope=scope,
                key=idempotency_key,
                request_hash=fingerprint,
                status_code=response.status_code,
                response_headers={
                    k: v for k, v in response.headers.items() if k in _REPLAYED_HEADERS
                },
                response_body=bytes(response.body),
                created_at=now,
                expires_at=now + TTL,
            )
        )
        await session.flush()

    uow.before_commit(store)


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.url.path.encode())
    digest.update(b"\0" + request.url.query.encode())
    digest.update(b"\0" + await request.body())
    return digest.hexdigest()


async def _replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return Response(exc.body, exc.status, headers={**exc.headers, "Idempotent-Replayed": "true"})


def install_idempotency(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay)
