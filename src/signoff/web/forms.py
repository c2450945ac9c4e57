"""Reading form fields: text bounded as the API's schemas bound it, errors in words."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from signoff.core.errors import UnprocessableError


class FieldMissing(UnprocessableError):
    code = "field_missing"
    title = "A field is missing"


def text(form: FormData, name: str, *, max_length: int = 10_000, required: bool = True) -> str:
    value = form.get(name)
    if isinstance(value, UploadFile) or value is None:
        value = ""
    value = value.strip() if name != "body" else value
    if required and not value:
        raise FieldMissing(f"Fill in “{name.replace('_', ' ')}”.", errors=[{"field": name}])
    if len(value) > max_length:
        raise FieldMissing(
            f"“{name.replace('_', ' ')}” is longer than {max_length} characters.",
            errors=[{"field": name}],
        )
    return value


M = TypeVar("M", bound=BaseModel)


class InvalidForm(UnprocessableError):
    code = "invalid_form"
    title = "Some fields are not valid"


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate with the API's own schema (one rule, two doors); errors name the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": str(e["loc"][0]) if e["loc"] else "", "message": _words(e)}
            for e in exc.errors()
        ]
        detail = " ".join(f"{e['field'].replace('_', ' ')}: {e['message']}" for e in errors)
        raise InvalidForm(detail, errors=errors) from None


def _words(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        return "use lower case letters, digits and inner hyphens."
    return str(error["msg"])


def field_errors(error: object) -> dict[str, str]:
    """The message to show beside each field of a refused form."""
    found = getattr(error, "errors", None) or []
    return {e["field"]: e.get("message", "") for e in found if "field" in e}


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a page of this UI, never another site (open redirect)."""
    if target and target.startswith("/ui/") and not target.startswith("/ui//"):
        return target
    return "/ui/"
