"""Documents in the fast lane (``core.fastlane``): the head of a document as JSON or
Markdown, or its 304, exactly as ``get_document`` answers it, and the first page of the
organization's documents as ``list_documents`` answers it, without the framework.

Per request: the caller's access from the caches (``orgs.fastlane.Gate``, no database), one
indexed Core select of the document's row, the ETag, then a 304 or the bytes an earlier
request made. That one select is how a read learns of a write made by any process on any
host, as the declared route does: the head cache is keyed by the entire row, so a changed
revision, status or title is a different key, never a stale answer. Anything else (a query
parameter, HTML, a cache miss, a document not found) goes on to the declared route.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Row
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from signoff.core.concurrency import not_modified
from signoff.core.db import Database
from signoff.core.errors import SignoffError
from signoff.core.fastlane import Handler, RawHeaders
from signoff.core.metrics import Metrics
from signoff.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorCodec, Page, PageRequest
from signoff.core.permissions import Action
from signoff.core.problems import send_error
from signoff.documents.errors import UnsupportedFormat
from signoff.documents.models import KEY_PREFIX
from signoff.documents.rendering import RenderCache, head_key
from signoff.documents.repository import DocumentRepository
from signoff.documents.representation import (
    document_bytes,
    encoding_for,
    negotiate,
    not_modified_response,
)
from signoff.documents.schemas import DocumentSummary, row_summary
from signoff.documents.service.documents import representation_etag
from signoff.documents.service.reading import FORMATS
from signoff.orgs.deps import SLUG_MAX_LENGTH
from signoff.orgs.fastlane import Gate

_ORG = rf"/v1/orgs/(?P<org>[A-Za-z0-9][A-Za-z0-9_-]{{0,{SLUG_MAX_LENGTH - 1}}})"
# The path of ``get_document`` for a document's key; any other spelling is the route's.
DOCUMENT_PATH = re.compile(rf"{_ORG}/documents/(?P<doc>{KEY_PREFIX}[0-9]{{1,9}})")
LIST_PATH = re.compile(rf"{_ORG}/documents")
# The common list: no filter, at most a limit (other queries are the route's to validate).
_LIMIT_ONLY = re.compile(rb"(?:limit=([0-9]{1,4}))?")


def document_lane(
    gate: Gate, db: Database, cursors: CursorCodec, cache: RenderCache, metrics: Metrics
) -> Handler:
    async def head_row(access_org: Any, ref: str) -> Row[Any] | None:
        async with db.session(read_only=True) as session:
            return await DocumentRepository(session, cursors).document_row(access_org, ref)

    async def handler(
        scope: Scope, receive: Receive, send: Send, match: re.Match[str], headers: RawHeaders
    ) -> bool:
        if scope["query_string"]:
            return False
        accept = headers.get(b"accept")
        try:
            fmt = negotiate(None if accept is None else accept.decode("latin-1"))
        except UnsupportedFormat:
            return False
        if fmt == "html":
            return False
        try:
            access = await gate.admit(scope, headers, match["org"], Action.DOCUMENTS_READ)
        except SignoffError as exc:  # the request limiter's 429
            await send_error(scope, receive, send, exc, metrics)
            return True
        if access is None:
            return False
        row = await head_row(access.org_id, match["doc"])
        if row is None:
            return False
        etag = representation_etag(row.id, row.head_revision, fmt, row.status)
        if_none_match = headers.get(b"if-none-match")
        if not_modified(None if if_none_match is None else if_none_match.decode("latin-1"), etag):
            response = not_modified_response(etag)
        else:
            accept_encoding = headers.get(b"accept-encoding")
            encoding = encoding_for(
                None if accept_encoding is None else accept_encoding.decode("latin-1")
            )
            cached = cache.get(head_key(row, fmt, encoding))
            if cached is None:
                return False
            response = document_bytes(cached, etag, FORMATS.get(fmt, "application/json"), encoding)
        await response(scope, receive, send)
        return True

    return handler


def list_lane(gate: Gate, db: Database, cursors: CursorCodec, metrics: Metrics) -> Handler:
    """``list_documents`` with no filter: one keyset select of Core rows, straight into the
    page's JSON (no ORM object, no validation of what the database typed)."""

    async def handler(
        scope: Scope, receive: Receive, send: Send, match: re.Match[str], headers: RawHeaders
    ) -> bool:
        query = _LIMIT_ONLY.fullmatch(scope["query_string"])
        if query is None:
            return False
        limit = int(query.group(1) or DEFAULT_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            return False  # the route refuses it, as declared
        try:
            access = await gate.admit(scope, headers, match["org"], Action.DOCUMENTS_READ)
        except SignoffError as exc:  # the request limiter's 429
            await send_error(scope, receive, send, exc, metrics)
            return True
        if access is None:
            return False
        async with db.session(read_only=True) as session:
            rows, cursor = await DocumentRepository(session, cursors).page_rows(
                access.org_id, PageRequest(limit=limit)
            )
        page: Page[DocumentSummary] = Page(items=[row_summary(r) for r in rows], next_cursor=cursor)
        response = Response(page.model_dump_json(by_alias=True), media_type="application/json")
        await response(scope, receive, send)
        return True

    return handler
