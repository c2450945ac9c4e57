"""Errors of the traceability domain."""

from __future__ import annotations

from signoff.core.errors import ConflictError, NotFoundError, UnprocessableError
from signoff.traceability.formats import SpecError, TestReportError


class LinkNotFound(NotFoundError):
    code = "trace_link_not_found"
    title = "No such trace link"


class LinkExists(ConflictError):
    code = "trace_link_exists"
    title = "This trace link exists"


class LinkKindNotAllowed(UnprocessableError):
    code = "trace_link_kind_not_allowed"
    title = "These two kinds of things cannot be linked"


class LinkEndMissing(ConflictError):
    code = "trace_link_end_missing"
    title = "An end of the link does not exist"


class InvalidSpec(UnprocessableError):
    code = "invalid_openapi"
    title = "The OpenAPI document cannot be used"

    @classmethod
    def of(cls, exc: SpecError) -> InvalidSpec:
        where = {
            "detail": exc.message,
            "code": exc.code,
            "line": exc.line,
            "pointer": getattr(exc, "pointer", None),
        }
        return cls(str(exc), errors=[{k: v for k, v in where.items() if v is not None}])


class InvalidReport(UnprocessableError):
    code = "invalid_test_report"
    title = "The test report cannot be used"

    @classmethod
    def of(cls, exc: TestReportError) -> InvalidReport:
        where = {"detail": exc.message, "code": exc.code, "line": exc.line}
        return cls(str(exc), errors=[{k: v for k, v in where.items() if v is not None}])
