"""Match document sections to template sections.

Strategies, applied in this order over the whole document, each template section being
claimed at most once: (1) the template number recorded in the section's stable-id comment,
(2) number and title, (3) title alone, (4) number alone. Titles compare case- and
whitespace-insensitively. A section that matches nothing keeps `template_number=None`.
Unnumbered template sections cannot be claimed (there is no number to record).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from signoff.docformat.headings import title_key
from signoff.docformat.model import ParsedDocument, Section
from signoff.docformat.spec import SectionSpec, Template

_Rule = Callable[[Section, SectionSpec], bool]


def match_template(doc: ParsedDocument, template: Template) -> ParsedDocument:
    """`doc` with every section's `template_number` (re)computed against `template`."""
    specs = [s for s in template.walk() if s.number is not None]
    claimed: dict[int, str] = {}
    taken: set[str] = set()
    for rule in _RULES:
        for index, section in enumerate(doc.sections):
            if index in claimed:
                continue
            spec = next((s for s in specs if s.number not in taken and rule(section, s)), None)
            if spec is not None and spec.number is not None:
                claimed[index] = spec.number
                taken.add(spec.number)
    sections = tuple(
        dataclasses.replace(section, template_number=claimed.get(index))
        for index, section in enumerate(doc.sections)
    )
    return dataclasses.replace(doc, sections=sections)


def _by_binding(section: Section, spec: SectionSpec) -> bool:
    return section.id is not None and section.template_number == spec.number


def _by_number_and_title(section: Section, spec: SectionSpec) -> bool:
    return section.number == spec.number and title_key(section.title) == title_key(spec.title)


def _by_title(section: Section, spec: SectionSpec) -> bool:
    return title_key(section.title) == title_key(spec.title)


def _by_number(section: Section, spec: SectionSpec) -> bool:
    return section.number is not None and section.number == spec.number


_RULES: tuple[_Rule, ...] = (_by_binding, _by_number_and_title, _by_title, _by_number)
