"""Review refusals, each a stable problem code."""

from __future__ import annotations

from signoff.core.errors import ConflictError, ForbiddenError, NotFoundError, UnprocessableError


class SubmissionRefused(ConflictError):
    code = "submission_refused"
    title = "The document cannot be submitted for review"


class AlreadyInReview(ConflictError):
    code = "already_in_review"
    title = "The document is already in review"


class AlreadyApproved(ConflictError):
    code = "already_approved"
    title = "The document is approved as it is: edit it to start the next draft"


class NotInReview(ConflictError):
    code = "not_in_review"
    title = "The document is not in review: submit it first"


class StaleReview(ConflictError):
    code = "stale_review"
    title = "Sections changed since the revision you reviewed"


class AuthorCannotApprove(ForbiddenError):
    code = "author_cannot_approve"
    title = "Authors cannot approve their own document (nor request changes to it): they comment"


class PersonRequired(ForbiddenError):
    code = "person_required"
    title = "Reviews and comments are made by people, not by API keys or service accounts"


class UnknownSection(UnprocessableError):
    code = "unknown_section"
    title = "No such section in the document"


class UnknownRevision(UnprocessableError):
    code = "unknown_revision"
    title = "No such revision of the document"


class InvalidOwnerRule(UnprocessableError):
    code = "invalid_owner_rule"
    title = "Ownership rules need a valid section pattern and an existing team"


class CommentNotFound(NotFoundError):
    code = "comment_not_found"
    title = "No such comment thread"


class QuoteNotFound(UnprocessableError):
    code = "quote_not_found"
    title = "The quoted passage is not in the section"


class NotThreadModerator(ForbiddenError):
    code = "not_thread_moderator"
    title = "Only the thread's author, the document's authors or admins can do that"


class TooManyReplies(ConflictError):
    code = "too_many_replies"
    title = "The thread has reached its maximum number of replies"


class NotApproved(ConflictError):
    code = "not_approved"
    title = "Only an approved version is printed"
