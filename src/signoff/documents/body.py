"""Request bodies the routes read themselves: Markdown, or JSON where Markdown is also
accepted (FastAPI reads one media type per route)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from signoff.core.errors import UnsupportedMediaTypeError
from signoff.core.inputs import checked_text
from signoff.documents.errors import NotUtf8

M = TypeVar("M", bound=BaseModel)
MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def markdown_body(request: Request) -> str:
    if media_type(request) not in MARKDOWN_TYPES:
        raise UnsupportedMediaTypeError(
            "Send the document as text/markdown.", headers={"Accept-Put": "text/markdown"}
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(f"Byte {exc.start} is not UTF-8.") from exc
    return checked_text(text)


async def json_body(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors: list[Any] = [
            {**e, "loc": ("body", *e["loc"])}
            if e["type"] != "json_invalid"
            else {**e, "loc": ("body", 0)}
            for e in exc.errors()
        ]
        raise RequestValidationError(errors) from exc


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a route taking JSON (``model``) or Markdown."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": model.model_json_schema()},
                "text/markdown": {
                    "schema": {"type": "string"},
                    "example": "---\ntitle: Parcel Tracking API\n---\n...",
                },
            },
        }
    }
