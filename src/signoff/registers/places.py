"""Where a document keeps each register: the template section that declares its table.

A template declares a register by the shape of a table in one of its sections: the first
column is the register's key column (`Risk`, `Requirement ID`, `Question`, `Term`,
`Document`, `Metric`) and at least one other column is one of the register's. Decisions are
the section whose example block has `Context` and `Decision` fields. The first section in
document order wins; a template may also name them in its front matter
(`registers: {risks: /proposal/risks-and-mitigations}`). The built-in template's tables give
exactly its numbers (§1.3 requirements, §3.3 decisions, §10.1, §16.1, §16.2, §17, §B), so a
numbered document keeps its registers where they always were; an unnumbered template's
(`## Risks and Mitigations` with `| Risk | Mitigation |`) get them by heading path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType

from signoff.docformat import Template
from signoff.docformat.spec import BlockSpec
from signoff.documents.reader import DocumentRef
from signoff.registers.kinds import DECISIONS, KINDS, TABLE_KINDS, Kind
from signoff.templates.service import LoadedTemplate

Places = Mapping[str, str]  # register kind name -> template section key (number or path)
# The template a document was made from (``DocumentService.template_of``).
TemplateOf = Callable[[DocumentRef], Awaitable[LoadedTemplate]]

_DECISION_FIELDS = {"context", "decision"}
_KEPT = 512  # templates whose places are kept in memory; a template version never changes


def _header(text: str) -> str:
    return " ".join(text.split()).casefold()


def fits(kind: Kind, columns: Sequence[str]) -> bool:
    """A table with these columns holds ``kind``'s register."""
    if kind is DECISIONS or not columns:
        return False
    key = next(c.header for c in kind.columns if c.field == kind.key)
    others = {_header(c.header) for c in kind.columns if c.field != kind.key}
    return _header(columns[0]) == _header(key) and any(_header(c) in others for c in columns[1:])


def _holds_decisions(blocks: Sequence[BlockSpec]) -> bool:
    return any({_header(f) for f in block.fields} >= _DECISION_FIELDS for block in blocks)


def places(template: Template) -> Places:
    """Each register the template declares → the key of the section that holds it."""
    found: dict[str, str] = {}
    declared = template.metadata.get("registers")
    if isinstance(declared, dict):
        for name, key in declared.items():
            if name in KINDS and isinstance(key, str) and template.get(key) is not None:
                found[name] = key
    for spec in template.walk():
        for kind in TABLE_KINDS:
            if kind.name not in found and any(fits(kind, t.columns) for t in spec.tables):
                found[kind.name] = spec.key
        if DECISIONS.name not in found and _holds_decisions(spec.blocks):
            found[DECISIONS.name] = spec.key
    return MappingProxyType(found)


_known: OrderedDict[tuple[str, str], Places] = OrderedDict()


class RegisterPlaces:
    """The places of a document's registers, from the template it was made from."""

    def __init__(self, template_of: TemplateOf) -> None:
        self._template_of = template_of

    async def of(self, document: DocumentRef) -> Places:
        name = document.template_name
        # Built-in templates are the same for every organization; an org's are its own.
        owner = str(document.org_id) if name.startswith("org:") else ""
        known = _known.get((owner, name))
        if known is None:
            known = _known[(owner, name)] = places((await self._template_of(document)).parsed)
            if len(_known) > _KEPT:
                _known.popitem(last=False)
        return known

    async def section_of(self, document: DocumentRef, kind: Kind) -> str | None:
        """The template section key holding ``kind`` in this document, if its template has one."""
        return (await self.of(document)).get(kind.name)
