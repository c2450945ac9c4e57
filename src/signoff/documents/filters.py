"""What the list of an organization's documents may be narrowed to
(``?status=&author=&q=&archived=``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    author: uuid.UUID | None = None  # a user who wrote a revision
    q: str | None = None  # words in the title
    archived: bool = False  # archived documents too
    # Made from this template, named as at creation: `backend-server` or `org:<slug>`.
    template: str | None = None

    @property
    def scope(self) -> str:
        """The filters a cursor belongs to: a cursor of one list is refused by another.
        Only the filters given, by name, as cursors issued before the filter was typed."""
        given = [("archived", self.archived), ("author", self.author), ("q", self.q)]
        given.append(("status", self.status))  # by name, as the dict's keys were sorted
        given.append(("template", self.template))
        return "documents:" + ":".join(f"{k}={v}" for k, v in given if v)
