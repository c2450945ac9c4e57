"""The errors Signoff raises on purpose. Each is rendered once, centrally, as problem+json.

Domains subclass the family that fits (``class ReviewClosed(ConflictError)``) and give it a
stable ``code``; clients branch on ``code``, people read ``title`` and ``detail``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class SignoffError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "The request cannot be processed"
    # Security bookkeeping that must survive the refusal (a revoked token family, an audit
    # record of a failed login) sets this: the request's changes are committed, then the
    # error is answered. Everything else is rolled back.
    keep_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(self.detail)


class BadRequestError(SignoffError):
    status = 400
    code = "bad_request"
    title = "The request is malformed"


class UnauthorizedError(SignoffError):
    status = 401
    code = "unauthorized"
    title = "Authentication is required"

    def __init__(
        self, detail: str | None = None, *, error: str | None = "invalid_token", **kw: Any
    ) -> None:
        # RFC 6750 §3: a request with no credentials gets the challenge without an error code.
        challenge = 'Bearer realm="signoff"' + (f', error="{error}"' if error else "")
        headers = {"WWW-Authenticate": challenge}
        headers.update(kw.pop("headers", None) or {})
        if error:
            kw.setdefault("error", error)
        super().__init__(detail, headers=headers, **kw)


class ForbiddenError(SignoffError):
    status = 403
    code = "forbidden"
    title = "You may not do this"


class NotFoundError(SignoffError):
    status = 404
    code = "not_found"
    title = "Not found"


class MethodNotAllowedError(SignoffError):
    status = 405
    code = "method_not_allowed"
    title = "Method not allowed"


class NotAcceptableError(SignoffError):
    status = 406
    code = "not_acceptable"
    title = "No acceptable representation"


class ConflictError(SignoffError):
    status = 409
    code = "conflict"
    title = "The request conflicts with the current state"


class PreconditionFailedError(SignoffError):
    status = 412
    code = "precondition_failed"
    title = "The resource has changed"


class PayloadTooLargeError(SignoffError):
    status = 413
    code = "payload_too_large"
    title = "The request body is too large"


class UnsupportedMediaTypeError(SignoffError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class UnprocessableError(SignoffError):
    status = 422
    code = "validation_failed"
    title = "The request is not valid"


class PreconditionRequiredError(SignoffError):
    status = 428
    code = "precondition_required"
    title = "A precondition header is required"


class RateLimitedError(SignoffError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after_s: int, **kw: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_s))}, **kw)


class ServiceUnavailableError(SignoffError):
    status = 503
    code = "service_unavailable"
    title = "The service is unavailable"


class InvalidCursorError(BadRequestError):
    code = "invalid_cursor"
    title = "The pagination cursor is not valid"
