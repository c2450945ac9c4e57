"""Match document sections to template sections.

Strategies, applied in this order over the whole document, each template section being
claimed at most once (except repeating ones): (1) the template key recorded in the
section's stable-id comment, (2) number and title, (3) heading path: for an unnumbered
template section, the same title under the template section its parent matched (or both
at the top), (4) a repeating unnumbered section (`### [Service Name]`): any section at its
level under the template section its parent matched, (5) title alone, (6) number alone.
Titles compare case- and whitespace-insensitively, and without an `(Optional)` mark.
A section that matches nothing keeps `template_number=None`.

A template section's key is its number, or its heading path when it has none
(`/proposal/user-stories`): that is what `template_number` records. A template section
inside a repeating one may be claimed once per instance as well.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from signoff.docformat.headings import match_title
from signoff.docformat.model import ParsedDocument, Section
from signoff.docformat.spec import SectionSpec, Template


@dataclasses.dataclass
class _Matcher:
    sections: Sequence[Section]
    parents: list[int | None]
    spec_parent: dict[str, str | None]
    claimed: dict[int, str] = dataclasses.field(default_factory=dict)

    def parent_key(self, index: int) -> str | None:
        parent = self.parents[index]
        return None if parent is None else self.claimed.get(parent, "")


_Rule = Callable[[_Matcher, int, SectionSpec], bool]


def match_template(doc: ParsedDocument, template: Template) -> ParsedDocument:
    """`doc` with every section's `template_number` (re)computed against `template`."""
    specs = list(template.walk())
    multi = _multi(template)
    matcher = _Matcher(doc.sections, _parents(doc.sections), template.parents())
    taken: set[str] = set()
    for rule in _RULES:
        for index in range(len(doc.sections)):
            if index in matcher.claimed:
                continue
            spec = next((s for s in specs if s.key not in taken and rule(matcher, index, s)), None)
            if spec is not None:
                matcher.claimed[index] = spec.key
                if spec.key not in multi:
                    taken.add(spec.key)
    sections = tuple(
        dataclasses.replace(section, template_number=matcher.claimed.get(index))
        for index, section in enumerate(doc.sections)
    )
    return dataclasses.replace(doc, sections=sections)


def _multi(template: Template) -> set[str]:
    """Keys of repeating sections and of every section inside one."""
    found: set[str] = set()
    for spec in template.walk():
        if spec.repeats:
            found.update(s.key for s in spec.walk())
    return found


def _parents(sections: Sequence[Section]) -> list[int | None]:
    parents: list[int | None] = []
    stack: list[int] = []
    for index, section in enumerate(sections):
        while stack and sections[stack[-1]].level >= section.level:
            stack.pop()
        parents.append(stack[-1] if stack else None)
        stack.append(index)
    return parents


def _by_binding(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    section = m.sections[index]
    return section.id is not None and section.template_number == spec.key


def _by_number_and_title(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    section = m.sections[index]
    return (
        spec.number is not None
        and section.number == spec.number
        and match_title(section.title) == match_title(spec.title)
    )


def _by_path(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    return (
        spec.number is None
        and m.parent_key(index) == m.spec_parent.get(spec.key)
        and match_title(m.sections[index].title) == match_title(spec.title)
    )


def _by_repeat(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    return (
        spec.repeats
        and m.sections[index].level == spec.level
        and m.parent_key(index) == m.spec_parent.get(spec.key)
    )


def _by_title(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    return match_title(m.sections[index].title) == match_title(spec.title)


def _by_number(m: _Matcher, index: int, spec: SectionSpec) -> bool:
    number = m.sections[index].number
    return number is not None and number == spec.number


_RULES: tuple[_Rule, ...] = (
    _by_binding,
    _by_number_and_title,
    _by_path,
    _by_repeat,
    _by_title,
    _by_number,
)
