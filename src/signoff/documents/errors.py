"""Errors of the documents domain."""

from __future__ import annotations

from typing import Any

from signoff.core.errors import (
    BadRequestError,
    ConflictError,
    NotAcceptableError,
    NotFoundError,
    PayloadTooLargeError,
    UnprocessableError,
)
from signoff.docformat import DocFormatError, DocumentTooLarge, SectionTooLarge


class DocumentNotFound(NotFoundError):
    code = "document_not_found"
    title = "No such document"


class SectionNotFound(NotFoundError):
    code = "section_not_found"
    title = "No such section"


class RevisionNotFound(NotFoundError):
    code = "revision_not_found"
    title = "No such revision or version"


class DocumentArchived(ConflictError):
    code = "document_archived"
    title = "The document is archived; restore it to change it"


class InvalidMarkdown(UnprocessableError):
    code = "invalid_markdown"
    title = "The Markdown cannot be read as a document"


class DocumentTooLargeError(PayloadTooLargeError):
    code = "document_too_large"
    title = "The document is over a size limit"


class NotUtf8(BadRequestError):
    code = "not_utf8"
    title = "The body is not UTF-8 text"


class UnknownAuthor(UnprocessableError):
    code = "unknown_author"
    title = "Authors must be members of the organization"


class UnknownReviewer(UnprocessableError):
    code = "unknown_reviewer"
    title = "Reviewers must be members or teams of the organization"


class UnsupportedFormat(NotAcceptableError):
    code = "unsupported_format"
    title = "Ask for JSON, Markdown or HTML"


class InvalidLintPolicy(UnprocessableError):
    code = "invalid_lint_policy"
    title = "The lint policy names unknown rules or severities"


def from_docformat(
    exc: DocFormatError, pointer: str = ""
) -> UnprocessableError | DocumentTooLargeError:
    """The problem for a document docformat refused: where (line, column) and why."""
    where: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if pointer:
        where["pointer"] = pointer
    if exc.line is not None:
        where["line"] = exc.line
    if exc.column is not None:
        where["column"] = exc.column
    if isinstance(exc, DocumentTooLarge | SectionTooLarge):
        return DocumentTooLargeError(str(exc), errors=[where])
    return InvalidMarkdown(str(exc), errors=[where])
