"""What the documents domain says happened (``core.events.Event``); the wire format is the one
these events always had."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from signoff.core.events import Event


@dataclass(frozen=True, kw_only=True)
class RevisionSaved(Event):
    """A new revision: the document's first (``documents.created``) or a later one
    (``documents.updated``, with the sections it changed)."""

    document_id: uuid.UUID
    key: str
    revision: int
    version: str
    title: str
    changed_sections: list[dict[str, str]] | None = None  # None: the first revision

    @property
    def type(self) -> str:
        return "documents.created" if self.changed_sections is None else "documents.updated"

    def data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "document_id": str(self.document_id),
            "key": self.key,
            "revision": self.revision,
            "version": self.version,
            "title": self.title,
        }
        if self.changed_sections is not None:
            data["changed_sections"] = self.changed_sections
        return data


@dataclass(frozen=True, kw_only=True)
class DocumentStateChanged(Event):
    """``documents.archived`` or ``documents.restored``: no new revision."""

    TYPE = "documents.{change}"
    NAMED_BY = ("change",)

    change: Literal["archived", "restored"]
    document_id: uuid.UUID
    key: str


@dataclass(frozen=True, kw_only=True)
class LintPolicyChanged(Event):
    TYPE = "documents.lint_policy_changed"

    version: int
