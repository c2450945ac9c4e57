"""Giving every section of a new document state its stable id.

A section keeps its id when it carries one (exported by Signoff, pushed back), else it
takes the id of the previous section it most plausibly is (same number and title, then
same title, then same number), else it gets a new one. Ids are unique within a document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from signoff.core.types import new_id
from signoff.docformat import Section
from signoff.documents.models import SectionVersion

_Key = Callable[[Any], Any]
_MATCHES: tuple[_Key, ...] = (
    lambda s: (s.number, s.title),
    lambda s: s.title,
    lambda s: s.number,
)


def assign_ids(
    sections: Sequence[Section], previous: Sequence[SectionVersion]
) -> tuple[Section, ...]:
    ids: list[str | None] = [None] * len(sections)
    used: set[str] = set()
    for i, section in enumerate(sections):
        if section.id is not None and section.id not in used:
            ids[i] = section.id
            used.add(section.id)
    for key in _MATCHES:
        _match_by(key, sections, [p for p in previous if p.section_id not in used], ids, used)
    return tuple(dataclasses.replace(s, id=ids[i] or str(new_id())) for i, s in enumerate(sections))


def _match_by(
    key: _Key,
    sections: Sequence[Section],
    candidates: Sequence[SectionVersion],
    ids: list[str | None],
    used: set[str],
) -> None:
    by_key: dict[Any, list[SectionVersion]] = {}
    for candidate in candidates:
        if key(candidate) is not None:
            by_key.setdefault(key(candidate), []).append(candidate)
    for i, section in enumerate(sections):
        if ids[i] is not None or key(section) is None:
            continue
        options = [c for c in by_key.get(key(section), []) if c.section_id not in used]
        # Only an unambiguous match keeps an identity; a guess could move an approval.
        if len(options) == 1:
            ids[i] = options[0].section_id
            used.add(options[0].section_id)
