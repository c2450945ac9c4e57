"""What a list of comment threads may be narrowed to (``?section=&resolved=&blocking=``)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ThreadFilter:
    section: str | None = None  # a section id; the caller may give a number (resolved first)
    resolved: bool | None = None
    blocking: bool | None = None

    def at_section(self, section_id: str) -> ThreadFilter:
        return replace(self, section=section_id)

    @property
    def scope(self) -> str:
        """The filters a cursor belongs to: a cursor of one list is refused by another."""
        return f"blocking={self.blocking}:resolved={self.resolved}:section={self.section}"
