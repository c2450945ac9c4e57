"""Input the database cannot hold is refused at the edge, once, for every route.

Two kinds of value get past ordinary schemas and fail only when they reach the database:

- integers beyond the columns' range (PostgreSQL's ``integer`` is 32 bits, SQLite's 64):
  every integer a request may carry is declared with ``le=DB_INT_MAX`` (core/bounds.py),
  so the OpenAPI document says so and validation answers 422 (a test walks the document);
- text with U+0000 (PostgreSQL's text types cannot store it) or a lone surrogate (no UTF-8
  encoding exists for one): ``refuse_unstorable`` looks at every path and query parameter and
  at form and JSON bodies before any dependency runs, and the routes that read a body
  themselves (Markdown, OpenAPI, JUnit) call ``checked_text``. Either answers 422 naming the
  field, in the same shape as every other validation error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from signoff.core.bounds import DB_INT_MAX

__all__ = ["DB_INT_MAX", "checked_text", "first_unstorable", "refuse_unstorable"]

UNSTORABLE_CODE = "string_unstorable"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A JSON body can hold them only as escapes; most bodies have none, and skip the walk.
_ESCAPED_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def first_unstorable(text: str) -> int | None:
    """The index of the first character no backend can store, or None."""
    found = _UNSTORABLE.search(text)
    return found.start() if found is not None else None


def unstorable_message(text: str, index: int) -> str:
    char = text[index]
    name = "NUL" if char == "\x00" else "a lone surrogate"
    return f"contains U+{ord(char):04X} ({name}) at character {index}, which cannot be stored"


def unstorable_error(loc: tuple[str | int, ...], text: str, index: int) -> dict[str, Any]:
    return {"type": UNSTORABLE_CODE, "loc": loc, "msg": unstorable_message(text, index)}


def checked_text(text: str, *, loc: tuple[str | int, ...] = ("body",)) -> str:
    """``text`` as is, or a 422 when it holds a character the database cannot store."""
    index = first_unstorable(text)
    if index is not None:
        raise RequestValidationError([unstorable_error(loc, text, index)])
    return text


async def refuse_unstorable(request: Request, *, form: bool) -> None:
    """Raise a 422 (``RequestValidationError``) naming every parameter or body field that
    holds text the database cannot store; ``form`` says the route reads a form body."""
    errors = [
        unstorable_error((where, name), value, index)
        for where, items in (
            ("path", request.path_params.items()),
            ("query", request.query_params.multi_items()),
        )
        for name, value in items
        if isinstance(value, str) and (index := first_unstorable(value)) is not None
    ]
    errors.extend(await _body_errors(request, form=form))
    if errors:
        raise RequestValidationError(errors)


async def _body_errors(request: Request, *, form: bool) -> list[dict[str, Any]]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if form and media in _FORM_TYPES:
        # Starlette keeps the parsed form: FastAPI reads this one instead of parsing again.
        data = await request.form()
        return [
            unstorable_error(("body", name), text, index)
            for name, value in data.multi_items()
            for text in (name, value)
            if isinstance(text, str) and (index := first_unstorable(text)) is not None
        ]
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        return []
    raw = await request.body()
    if not _ESCAPED_UNSTORABLE.search(raw):
        return []
    try:
        document = json.loads(raw)
    except ValueError:
        return []  # malformed JSON: FastAPI's own parse says where
    return [unstorable_error(("body", *path), text, index) for path, text, index in _walk(document)]


Found = tuple[tuple[str | int, ...], str, int]


def _walk(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[Found]:
    if isinstance(value, str):
        index = first_unstorable(value)
        if index is not None:
            yield path, value, index
    elif isinstance(value, dict):
        for key, item in value.items():
            index = first_unstorable(key)
            if index is not None:
                yield (*path, key), key, index
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _walk(item, (*path, position))
