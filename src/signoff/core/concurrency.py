"""Optimistic concurrency over HTTP: ``ETag`` on reads, ``If-Match`` required on updates."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from signoff.core.errors import PreconditionFailedError, PreconditionRequiredError


def etag_of(*parts: object) -> str:
    """A strong ETag over the given parts (a version number, a content hash, ...)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _tags(header: str) -> list[str]:
    tags = []
    for raw in header.split(","):
        tag = raw.strip()
        # Weak comparison would let two byte-different representations both match an update.
        if tag.startswith("W/"):
            continue
        if tag:
            tags.append(tag)
    return tags


def require_if_match(
    if_match: str | None, current: str, *, equivalents: Iterable[str] = ()
) -> None:
    """Refuse an update made without a precondition, or against a representation that changed.

    ``equivalents`` are the ETags of other representations of the same state (a document
    read as Markdown may be updated with that representation's ETag). Both refusals carry
    the current ETag so the client can re-read and decide.
    """
    headers = {"ETag": current}
    if if_match is None:
        raise PreconditionRequiredError(
            "Send If-Match with the ETag you read, so a concurrent change is not overwritten.",
            headers=headers,
        )
    tags = _tags(if_match)
    if "*" in tags or current in tags or any(e in tags for e in equivalents):
        return
    raise PreconditionFailedError(
        "The resource changed since you read it; re-read it and apply your change again.",
        headers=headers,
        current_etag=current,
    )


def not_modified(if_none_match: str | None, current: str) -> bool:
    if if_none_match is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or current in tags
