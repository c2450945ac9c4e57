"""The representations of a document's head on the wire: which format an ``Accept`` asks
for, which encoding, and the headers its bytes go out with. The route and the fast lane
(``documents.fastlane``) both answer through these, so their answers cannot drift."""

from __future__ import annotations

from starlette.responses import Response

from signoff.documents.errors import UnsupportedFormat

_BY_ACCEPT = (
    ("text/markdown", "markdown"),
    ("text/html", "html"),
    ("application/json", "json"),
    ("*/*", "json"),
    ("text/*", "markdown"),
)


def negotiate(accept: str | None) -> str:
    """The format an ``Accept`` header asks for: json, markdown or html."""
    accept = ("*/*" if accept is None else accept).lower()
    for media, fmt in _BY_ACCEPT:
        if media in accept:
            return fmt
    raise UnsupportedFormat("Accept application/json, text/markdown or text/html.")


def encoding_for(accept_encoding: str | None) -> str:
    """The head's bytes are kept as is and gzipped (``ReadingService.keep_head``)."""
    return "gzip" if "gzip" in (accept_encoding or "") else "identity"


def document_bytes(body: bytes, etag: str, media: str, encoding: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept"}
    if encoding != "identity":
        headers |= {"Content-Encoding": encoding, "Vary": "Accept, Accept-Encoding"}
    return Response(body, headers=headers, media_type=media)


def not_modified_response(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag})
