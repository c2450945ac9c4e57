"""`diff_sections`: per-section differences between two versions of a document.

Sections are paired by stable id when both have one, then by number, then (for
unnumbered sections) by title. A pair is `renamed` when its number or title changed,
`changed` when only its body changed (compared in `section_hash`'s normalized form, so
whitespace-only edits are `unchanged`), else `unchanged`. Unpaired sections are `added`
or `removed`. Results follow the new document's order; removed sections come last, in
the old document's order.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from signoff.docformat.hashing import normalized_body
from signoff.docformat.headings import heading_text, title_key
from signoff.docformat.model import ParsedDocument, Section


class DiffStatus(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    RENAMED = "renamed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SectionDiff:
    """One section's change; `diff` is a unified diff of the body ("" when bodies agree)."""

    status: DiffStatus
    old: Section | None
    new: Section | None
    diff: str

    @property
    def body_changed(self) -> bool:
        return bool(self.diff)


_Key = Callable[[Section], Hashable | None]


def diff_sections(old_doc: ParsedDocument, new_doc: ParsedDocument) -> list[SectionDiff]:
    """The per-section differences from `old_doc` to `new_doc`."""
    pairs: dict[int, int] = {}
    for key in (_by_id, _by_number, _by_title):
        _pair(old_doc.sections, new_doc.sections, key, pairs)
    old_for_new = {new: old for old, new in pairs.items()}
    result = [
        _compare(old_doc.sections[old_for_new[i]] if i in old_for_new else None, section)
        for i, section in enumerate(new_doc.sections)
    ]
    removed = (s for i, s in enumerate(old_doc.sections) if i not in pairs)
    result.extend(SectionDiff(DiffStatus.REMOVED, s, None, _unified(s, None)) for s in removed)
    return result


def _by_id(section: Section) -> Hashable | None:
    return section.id


def _by_number(section: Section) -> Hashable | None:
    return section.number


def _by_title(section: Section) -> Hashable | None:
    return title_key(section.title) if section.number is None else None


def _pair(old: Sequence[Section], new: Sequence[Section], key: _Key, pairs: dict[int, int]) -> None:
    """Pair still-unpaired sections whose key is equal (first come, first paired)."""
    taken = set(pairs.values())
    waiting: dict[Hashable, list[int]] = {}
    for index, section in enumerate(new):
        value = key(section)
        if value is not None and index not in taken:
            waiting.setdefault(value, []).append(index)
    for index, section in enumerate(old):
        value = key(section)
        if index in pairs or value is None or not waiting.get(value):
            continue
        if key is not _by_id and section.id is not None and new[waiting[value][0]].id is not None:
            continue
        pairs[index] = waiting[value].pop(0)


def _compare(old: Section | None, new: Section) -> SectionDiff:
    if old is None:
        return SectionDiff(DiffStatus.ADDED, None, new, _unified(None, new))
    changed = normalized_body(old.body) != normalized_body(new.body)
    diff = _unified(old, new) if changed else ""
    if (old.number, old.title) != (new.number, new.title):
        return SectionDiff(DiffStatus.RENAMED, old, new, diff)
    return SectionDiff(DiffStatus.CHANGED if diff else DiffStatus.UNCHANGED, old, new, diff)


def _unified(old: Section | None, new: Section | None) -> str:
    lines = difflib.unified_diff(
        old.body.split("\n") if old and old.body else [],
        new.body.split("\n") if new and new.body else [],
        fromfile=_label(old),
        tofile=_label(new),
        lineterm="",
    )
    return "\n".join(lines)


def _label(section: Section | None) -> str:
    return heading_text(section.number, section.title) if section else "/dev/null"
