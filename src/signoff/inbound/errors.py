"""Refusals of the inbound domain."""

from __future__ import annotations

from signoff.core.errors import NotFoundError, SignoffError, UnprocessableError


class InvalidSignature(SignoffError):
    """401 without a Bearer challenge: these requests authenticate by signature."""

    status = 401
    code = "invalid_signature"
    title = "The event's signature does not verify"


class InvalidInboundEvent(UnprocessableError):
    code = "invalid_inbound_event"
    title = "The event is not a valid requirement event"


class SourceNotFound(NotFoundError):
    code = "inbound_source_not_found"
    title = "No such inbound source"
