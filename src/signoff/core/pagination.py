"""Keyset pagination with opaque, signed cursors: ``?limit=&cursor=`` → ``{items, next_cursor}``.

A cursor holds the sort key of the last row served, so pages stay stable when rows are
inserted before or after it (no skipped or repeated rows, unlike ``OFFSET``). It is signed
and bound to the list it came from: a tampered cursor, or one reused on another list or with
other filters, is refused with 400 ``invalid_cursor``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Row, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from signoff.core.errors import InvalidCursorError
from signoff.core.security import Signer, b64url, b64url_decode

T = TypeVar("T")
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
SortKey: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"u"}:
        return uuid.UUID(hex=value["u"])
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict | list):
        raise ValueError("unexpected structure in cursor")
    return value


def _signed(scope: str, payload: bytes) -> bytes:
    return scope.encode() + b"\0" + payload


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, "pagination-cursor")

    def encode(self, scope: str, key: Sequence[Any]) -> str:
        payload = json.dumps([_encode_value(v) for v in key], separators=(",", ":")).encode()
        signature = self._signer.sign(_signed(scope, payload))
        return f"{b64url(payload)}.{signature}"

    def decode(self, scope: str, cursor: str) -> list[Any]:
        try:
            encoded, signature = cursor.split(".", 1)
            payload = b64url_decode(encoded)
        except ValueError as exc:
            raise InvalidCursorError("The cursor is not one this server issued.") from exc
        if not self._signer.verify(_signed(scope, payload), signature):
            raise InvalidCursorError(
                "The cursor was altered, or belongs to another list or other filters."
            )
        try:
            values = json.loads(payload)
            return [_decode_value(v) for v in values]
        except (ValueError, TypeError) as exc:  # signed by us but unreadable: a format change
            raise InvalidCursorError("The cursor is from an older version; start over.") from exc


async def keyset_page(
    session: AsyncSession,
    stmt: AnySelect,
    keys: Sequence[SortKey],
    page: PageRequest,
    codec: CursorCodec,
    *,
    scope: str,
    descending: bool = False,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], str | None]:
    """Run ``stmt`` for one page ordered by ``keys`` (the last one unique, e.g. the id).

    ``scope`` names the list and its filters; a cursor only works for the same scope.
    Returns the rows and the cursor of the next page.
    """
    if page.cursor is not None:
        after = codec.decode(scope, page.cursor)
        if len(after) != len(keys):
            raise InvalidCursorError("The cursor does not fit this list.")
        position = tuple_(*keys)
        boundary = tuple_(*after)
        stmt = stmt.where(position < boundary if descending else position > boundary)
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = (await session.execute(stmt.order_by(*order).limit(page.limit + 1))).all()
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, codec.encode(scope, [_key_value(rows[-1], k) for k in keys])


def _key_value(row: Row[*tuple[Any, ...]], key: SortKey) -> Any:
    try:
        return row._mapping[key]
    except KeyError:
        # The select returned an ORM entity rather than the key column itself.
        name = key.key if isinstance(key, QueryableAttribute) else str(key)
        return getattr(row[0], name)
