"""Stored revisions as docformat documents, and the cache of their rendered bytes.

A revision never changes, so its rendering in a format never changes: the bytes are cached
by (document, revision, format) and served with an ETag of the same three.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from signoff.docformat import DocumentControl, ParsedDocument, Section
from signoff.documents.models import STATUS_LABELS, Document, Revision, SectionVersion


def to_sections(versions: Sequence[SectionVersion]) -> tuple[Section, ...]:
    return tuple(
        Section(
            v.number, v.title, v.level, v.body, id=v.section_id, template_number=v.template_number
        )
        for v in versions
    )


def people(entries: Sequence[dict[str, str]]) -> tuple[str, ...]:
    """Authors and reviewers as Document Control shows them: `Name <email>`, or `@team`."""
    return tuple(
        f"@{e['slug']}" if e.get("kind") == "team" else f"{e['name']} <{e['email']}>"
        for e in entries
    )


def status_of(document: Document, revision: Revision) -> str:
    """The head shows the document's status now (a submission opens a review without a new
    revision); an older revision shows the status it was saved in."""
    return document.status if revision.number == document.head_revision else revision.status


def parsed_document(
    document: Document, revision: Revision, versions: Sequence[SectionVersion], template: str
) -> ParsedDocument:
    """The revision with its Document Control derived by the server, never as typed."""
    status = status_of(document, revision)
    control = DocumentControl(
        title=revision.title,
        key=document.key,
        version=revision.version,
        revision=str(revision.number),
        status=STATUS_LABELS.get(status, status),
        authors=people(revision.authors),
        reviewers=people(revision.reviewers),
        template=template,
        last_updated=revision.created_at.date().isoformat(),
        extra=dict(revision.control_extra),
    )
    return ParsedDocument(control, to_sections(versions), revision.preamble)


def head_key(row: Sequence[object], fmt: str, encoding: str) -> tuple[object, ...]:
    """The key of the head's whole response body: the document's entire row, so any change
    to the document (a revision, a status, a title, archiving) is a different key."""
    return ("head", tuple(row), fmt, encoding)


class RenderCache:
    """A bounded LRU of rendered revisions (bytes), shared by the requests of a process."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[object, ...], value: bytes) -> None:
        if len(value) > self._max // 4:
            return  # one huge rendering must not evict everything else
        with self._lock:
            old = self._items.pop(key, None)
            self._size -= len(old) if old else 0
            self._items[key] = value
            self._size += len(value)
            while self._size > self._max:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)
