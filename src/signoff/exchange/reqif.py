"""ReqIF 1.2 of a document's requirements, in the profile StrictDoc reads and writes. A
requirement is a SPEC-OBJECT of type REQUIREMENT with ``ReqIF.ForeignID`` (the requirement
id), ``ReqIF.Name`` (title), ``ReqIF.Text`` (statement) and ``DESIGN_SECTIONS``; it sits in
the specification's hierarchy under a SECTION object (``ReqIF.ChapterName``) for the design
section that holds it; a parent link is a SPEC-RELATION of type ``Parent`` from the child
to the parent. The API operations and tests traced to a requirement are SPEC-OBJECTs of
type OPERATION (``ReqIF.ForeignID``: the operationId; ``ReqIF.Name``: method and path) and
TEST (the test id and name), outside the hierarchy, with an ``Implements`` or ``Verifies``
SPEC-RELATION from them to the requirement. Identifiers are derived from the document key
and the requirement id, so exporting the same revision twice gives the same file, and an id
survives a round trip. Input is refused whole: a DTD, an entity or an external reference
(``defusedxml``), more than the limits, and every inconsistency found, each with its XML
path."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from reqif.models.reqif_core_content import ReqIFCoreContent
from reqif.models.reqif_data_type import ReqIFDataTypeDefinitionString
from reqif.models.reqif_namespace_info import ReqIFNamespaceInfo
from reqif.models.reqif_req_if_content import ReqIFReqIFContent
from reqif.models.reqif_reqif_header import ReqIFReqIFHeader
from reqif.models.reqif_spec_hierarchy import ReqIFSpecHierarchy
from reqif.models.reqif_spec_object import ReqIFSpecObject, SpecObjectAttribute
from reqif.models.reqif_spec_object_type import ReqIFSpecObjectType, SpecAttributeDefinition
from reqif.models.reqif_spec_relation import ReqIFSpecRelation
from reqif.models.reqif_spec_relation_type import ReqIFSpecRelationType
from reqif.models.reqif_specification import ReqIFSpecification
from reqif.models.reqif_specification_type import ReqIFSpecificationType
from reqif.models.reqif_types import SpecObjectAttributeType
from reqif.object_lookup import ReqIFObjectLookup
from reqif.parser import ReqIFParser
from reqif.reqif_bundle import ReqIFBundle
from reqif.unparser import ReqIFUnparser

from signoff.exchange.findings import Finding, ImportRejected, refuse_if, too_large
from signoff.exchange.limits import REQIF_MAX_BYTES, REQIF_MAX_OBJECTS

NAMESPACE = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"
ID = "ReqIF.ForeignID"
NAME = "ReqIF.Name"
TEXT = "ReqIF.Text"
CHAPTER = "ReqIF.ChapterName"
SECTIONS = "DESIGN_SECTIONS"
STRING = "SIGNOFF_STRING"
_NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_REQUIREMENT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$")


@dataclass(frozen=True)
class Requirement:
    requirement_id: str
    statement: str
    title: str = ""
    design_sections: tuple[str, ...] = ()  # section numbers, "3.3"
    parents: tuple[str, ...] = ()  # requirement ids
    chapter: str | None = None  # the ReqIF section that holds it, as read
    implemented_by: tuple[str, ...] = ()  # operation ids (``Endpoint.ref``)
    verified_by: tuple[str, ...] = ()  # test ids


@dataclass(frozen=True)
class Endpoint:
    """An API operation or a test that requirements are traced to."""

    kind: Literal["operation", "test"]
    ref: str  # the operationId, or the test id
    name: str  # `GET /v1/items`, or the test's name
    text: str = ""  # the operation's summary, or the test's outcome


# Endpoint kind -> (spec object type, relation type from it to the requirement)
_ENDPOINTS = {"operation": ("OPERATION", "Implements"), "test": ("TEST", "Verifies")}
_ENDPOINT_TYPES = {type_name for type_name, _ in _ENDPOINTS.values()}


@dataclass(frozen=True)
class Chapter:
    number: str
    title: str

    @property
    def name(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass
class _Types:
    requirement: ReqIFSpecObjectType
    section: ReqIFSpecObjectType
    parent: ReqIFSpecRelationType
    fields: dict[str, str] = field(default_factory=dict)
    # endpoint kind -> its object type and its relation type (only those the file uses)
    endpoints: dict[str, tuple[ReqIFSpecObjectType, ReqIFSpecRelationType]] = field(
        default_factory=dict
    )


def _ident(*parts: str) -> str:
    return "SO-" + "-".join(_NCNAME_BAD.sub("_", p) for p in parts)


def _types(stamp: str) -> _Types:
    def definitions(kind: str, names: Sequence[str]) -> list[SpecAttributeDefinition]:
        return [
            SpecAttributeDefinition(
                attribute_type=SpecObjectAttributeType.STRING,
                identifier=_ident(kind, name),
                datatype_definition=STRING,
                last_change=stamp,
                long_name=name,
            )
            for name in names
        ]

    fields = (ID, NAME, TEXT, SECTIONS)
    requirement = ReqIFSpecObjectType(
        identifier=_ident("REQUIREMENT"),
        last_change=stamp,
        long_name="REQUIREMENT",
        attribute_definitions=definitions("REQUIREMENT", fields),
    )
    section = ReqIFSpecObjectType(
        identifier=_ident("SECTION"),
        last_change=stamp,
        long_name="SECTION",
        attribute_definitions=definitions("SECTION", (CHAPTER,)),
    )
    parent = ReqIFSpecRelationType(
        identifier=_ident("Parent"), last_change=stamp, long_name="Parent"
    )
    endpoints = {
        kind: (
            ReqIFSpecObjectType(
                identifier=_ident(type_name),
                last_change=stamp,
                long_name=type_name,
                attribute_definitions=definitions(type_name, (ID, NAME, TEXT)),
            ),
            ReqIFSpecRelationType(
                identifier=_ident(relation), last_change=stamp, long_name=relation
            ),
        )
        for kind, (type_name, relation) in _ENDPOINTS.items()
    }
    return _Types(
        requirement, section, parent, {f: _ident("REQUIREMENT", f) for f in fields}, endpoints
    )


def _value(ref: str, text: str) -> SpecObjectAttribute:
    return SpecObjectAttribute(
        attribute_type=SpecObjectAttributeType.STRING, definition_ref=ref, value=_escape(text)
    )


def _escape(text: str) -> str:
    # The unparser writes values as given. Only what XML needs is escaped: StrictDoc keeps
    # entities it reads as they are, so an escaped apostrophe would not come back as one.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _hierarchy(ident: str, obj: str, level: int, stamp: str) -> ReqIFSpecHierarchy:
    return ReqIFSpecHierarchy(
        identifier=ident,
        spec_object=obj,
        level=level,
        children=None,
        last_change=stamp,
        is_self_closed=False,
    )


def export_reqif(
    *,
    document_key: str,
    title: str,
    chapters: Sequence[Chapter],
    requirements: Sequence[Requirement],
    stamp: str,
    endpoints: Sequence[Endpoint] = (),
) -> str:
    """The document's requirements as ReqIF: each under the chapter of its first design
    section (in ``chapters`` order), the others at the top level; the ``endpoints`` a
    requirement is implemented by or verified by, with their relations. ``stamp`` (the
    revision's time, RFC 3339) is every LAST-CHANGE, so one revision always exports the
    same bytes."""
    types = _types(stamp)
    objects: list[ReqIFSpecObject] = []
    roots: list[ReqIFSpecHierarchy] = []
    by_chapter: dict[str, ReqIFSpecHierarchy] = {}
    for chapter in chapters:
        obj = _ident(document_key, "S", chapter.number)
        objects.append(
            ReqIFSpecObject(
                identifier=obj,
                attributes=[_value(_ident("SECTION", CHAPTER), chapter.name)],
                spec_object_type=types.section.identifier,
                last_change=stamp,
            )
        )
        by_chapter[chapter.number] = _hierarchy(obj + "-H", obj, 1, stamp)
    loose: list[ReqIFSpecHierarchy] = []
    for req in requirements:
        obj = _ident(document_key, "R", req.requirement_id)
        values = [
            (ID, req.requirement_id),
            (NAME, req.title),
            (TEXT, req.statement),
            (SECTIONS, ", ".join(req.design_sections)),
        ]
        objects.append(
            ReqIFSpecObject(
                identifier=obj,
                attributes=[_value(types.fields[k], v) for k, v in values if v],
                spec_object_type=types.requirement.identifier,
                last_change=stamp,
            )
        )
        home = next((by_chapter[n] for n in req.design_sections if n in by_chapter), None)
        node = _hierarchy(obj + "-H", obj, 2 if home else 1, stamp)
        if home is None:
            loose.append(node)
        else:
            home.children = [*(home.children or []), node]
    roots = [h for h in by_chapter.values() if h.children] + loose
    relations = [
        ReqIFSpecRelation(
            identifier=_ident(document_key, "P", req.requirement_id, parent),
            relation_type_ref=types.parent.identifier,
            source=_ident(document_key, "R", req.requirement_id),
            target=_ident(document_key, "R", parent),
            last_change=stamp,
        )
        for req in requirements
        for parent in req.parents
    ]
    linked, more = _endpoint_links(document_key, requirements, endpoints, types, stamp)
    used = {h.spec_object for h in roots}
    objects = [
        o for o in objects if o.spec_object_type != types.section.identifier or o.identifier in used
    ]
    return _unparse(
        document_key, title, stamp, types, [*objects, *linked], [*relations, *more], roots
    )


def _endpoint_links(
    key: str,
    requirements: Sequence[Requirement],
    endpoints: Sequence[Endpoint],
    types: _Types,
    stamp: str,
) -> tuple[list[ReqIFSpecObject], list[ReqIFSpecRelation]]:
    """The endpoints some requirement names, and a relation from each to its requirement;
    the endpoint types of the file are only those it uses."""
    known: dict[tuple[str, str], Endpoint] = {(e.kind, e.ref): e for e in endpoints}
    objects: dict[tuple[str, str], ReqIFSpecObject] = {}
    relations: list[ReqIFSpecRelation] = []
    for req in requirements:
        for kind, refs in (("operation", req.implemented_by), ("test", req.verified_by)):
            object_type, relation_type = types.endpoints[kind]
            for ref in refs:
                end = known.get((kind, ref))
                if end is None:
                    continue
                obj = _ident(key, kind[0].upper(), ref)
                if (kind, ref) not in objects:
                    values = [(ID, end.ref), (NAME, end.name), (TEXT, end.text)]
                    objects[(kind, ref)] = ReqIFSpecObject(
                        identifier=obj,
                        attributes=[
                            _value(_ident(str(object_type.long_name), k), v) for k, v in values if v
                        ],
                        spec_object_type=object_type.identifier,
                        last_change=stamp,
                    )
                relations.append(
                    ReqIFSpecRelation(
                        identifier=_ident(
                            key, relation_type.long_name or "", ref, req.requirement_id
                        ),
                        relation_type_ref=relation_type.identifier,
                        source=obj,
                        target=_ident(key, "R", req.requirement_id),
                        last_change=stamp,
                    )
                )
    used = {kind for kind, _ in objects}
    types.endpoints = {k: v for k, v in types.endpoints.items() if k in used}
    return list(objects.values()), relations


def _unparse(
    key: str,
    title: str,
    stamp: str,
    types: _Types,
    objects: list[ReqIFSpecObject],
    relations: list[ReqIFSpecRelation],
    roots: list[ReqIFSpecHierarchy],
) -> str:
    spec_type = ReqIFSpecificationType(
        identifier=_ident("SPECIFICATION"),
        last_change=stamp,
        long_name="SPECIFICATION",
        spec_attributes=None,
        spec_attribute_map={},
        is_self_closed=True,
    )
    content = ReqIFReqIFContent(
        data_types=[
            ReqIFDataTypeDefinitionString(identifier=STRING, last_change=stamp, max_length="10000")
        ],
        spec_types=[
            spec_type,
            types.section,
            types.requirement,
            types.parent,
            *(t for pair in types.endpoints.values() for t in pair),
        ],
        spec_objects=objects,
        spec_relations=relations,
        specifications=[
            ReqIFSpecification(
                identifier=_ident(key),
                last_change=stamp,
                long_name=_escape(title),
                specification_type=spec_type.identifier,
                children=roots,
            )
        ],
        spec_relation_groups=None,
    )
    bundle = ReqIFBundle(
        namespace_info=ReqIFNamespaceInfo(
            original_reqif_tag_dump=None,
            doctype_is_present=True,
            encoding="UTF-8",
            namespace=NAMESPACE,
            configuration=None,
            namespace_id=None,
            namespace_xhtml="http://www.w3.org/1999/xhtml",
            schema_namespace=None,
            schema_location=None,
            language=None,
        ),
        req_if_header=ReqIFReqIFHeader(
            identifier=_ident(key, "HEADER"),
            creation_time=stamp,
            title=_escape(title),
            req_if_tool_id="signoff",
            req_if_version="1.0",
            source_tool_id="signoff",
            repository_id=None,
            comment=None,
        ),
        core_content=ReqIFCoreContent(content),
        tool_extensions_tag_exists=False,
        lookup=ReqIFObjectLookup(
            data_types_lookup={},
            spec_types_lookup={},
            spec_objects_lookup={},
            spec_relations_parent_lookup={},
        ),
        exceptions=[],
    )
    text: str = ReqIFUnparser.unparse(bundle)
    return text


_OBJECTS = "/REQ-IF/CORE-CONTENT/REQ-IF-CONTENT/SPEC-OBJECTS/SPEC-OBJECT"
_RELATIONS = "/REQ-IF/CORE-CONTENT/REQ-IF-CONTENT/SPEC-RELATIONS/SPEC-RELATION"
_TAGS = re.compile(r"<[^>]+>")


def _safe_tree(data: bytes) -> Element:
    if len(data) > REQIF_MAX_BYTES:
        raise too_large(f"A ReqIF file may have {REQIF_MAX_BYTES // 1024 // 1024} MiB at most.")
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ImportRejected(
            "The file is refused: it declares a DTD, an entity or an external reference.",
            [Finding(f"not allowed: {type(exc).__name__}", code="unsafe_xml", path="/")],
        ) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ImportRejected(
            "The file is not well-formed XML.", [Finding(str(exc), code="malformed", line=line)]
        ) from exc
    count = sum(1 for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "SPEC-OBJECT")
    if count > REQIF_MAX_OBJECTS:
        raise too_large(f"A ReqIF file may hold {REQIF_MAX_OBJECTS} spec objects at most.")
    if root.tag.rsplit("}", 1)[-1] != "REQ-IF":
        raise ImportRejected(
            "This is not a ReqIF file.",
            [Finding("the root element must be REQ-IF", code="wrong_schema", path="/")],
        )
    return root


def _bundle(data: bytes) -> ReqIFBundle:
    _safe_tree(data)
    try:
        bundle: ReqIFBundle = ReqIFParser.parse_from_string(data.decode("utf-8"))
    except Exception as exc:  # the library raises its own kinds for every schema error
        raise ImportRejected(
            "The file is not valid ReqIF.", [Finding(str(exc), code="wrong_schema", path="/")]
        ) from exc
    return bundle


def _plain(attribute: Any) -> str:
    if attribute.attribute_type == SpecObjectAttributeType.XHTML:
        text = str(attribute.value_stripped_xhtml or attribute.value or "")
        return html.unescape(_TAGS.sub(" ", text)).strip()
    value = attribute.value
    return html.unescape(" ".join(value) if isinstance(value, list) else str(value or ""))


def _fields(bundle: ReqIFBundle, obj: ReqIFSpecObject) -> dict[str, str]:
    spec_type = bundle.get_spec_object_type_by_ref(obj.spec_object_type)
    names = (
        {d.identifier: d.long_name or d.identifier for d in spec_type.attribute_definitions or []}
        if spec_type
        else {}
    )
    return {names.get(a.definition_ref, a.definition_ref): _plain(a) for a in obj.attributes}


def _type_name(bundle: ReqIFBundle, obj: ReqIFSpecObject) -> str:
    spec_type = bundle.get_spec_object_type_by_ref(obj.spec_object_type)
    return str(spec_type.long_name or "").upper() if spec_type else ""


def _chapters(bundle: ReqIFBundle, content: ReqIFReqIFContent) -> dict[str, str]:
    """Spec object id → the chapter name of the nearest section above it."""
    held: dict[str, str] = {}

    def walk(nodes: Sequence[ReqIFSpecHierarchy], chapter: str | None) -> None:
        for node in nodes:
            if chapter is not None:
                held.setdefault(node.spec_object, chapter)
            fields = _fields(bundle, bundle.get_spec_object_by_ref(node.spec_object))
            walk(node.children or [], fields.get(CHAPTER, chapter))

    for spec in content.specifications or []:
        walk(spec.children or [], None)
    return held


def _objects(
    bundle: ReqIFBundle, content: ReqIFReqIFContent
) -> Iterator[tuple[str, dict[str, str]]]:
    for obj in content.spec_objects or []:
        if _type_name(bundle, obj) in {"SECTION", "TEXT", *_ENDPOINT_TYPES}:
            continue
        fields = _fields(bundle, obj)
        if CHAPTER in fields and ID not in fields:
            continue
        yield obj.identifier, fields


def import_reqif(data: bytes) -> list[Requirement]:
    """The requirements of a ReqIF file, in file order, or every reason it is refused."""
    bundle = _bundle(data)
    content = bundle.core_content.req_if_content if bundle.core_content else None
    if content is None:
        return []
    findings: list[Finding] = []
    ids: dict[str, str] = {}
    found: list[tuple[str, dict[str, str]]] = []
    for ident, fields in _objects(bundle, content):
        path = f"{_OBJECTS}[@IDENTIFIER='{ident}']"
        rid = fields.get(ID, "").strip()
        if not _REQUIREMENT_ID.match(rid):
            findings.append(
                Finding(
                    f"ReqIF.ForeignID {rid!r} is not a requirement id such as REQ-001",
                    code="invalid_id",
                    path=path,
                )
            )
            continue
        if rid.lower() in {r.lower() for r in ids.values()}:
            findings.append(Finding(f"{rid} appears twice", code="duplicate_id", path=path))
            continue
        if not (fields.get(TEXT) or fields.get(NAME)):
            findings.append(
                Finding(
                    f"{rid} has neither ReqIF.Text nor ReqIF.Name", code="missing_field", path=path
                )
            )
        ids[ident] = rid
        found.append((ident, fields))
    parents = _parents(content, ids, findings, bundle)
    traced = _traced(content, ids, bundle)
    refuse_if(findings, "The ReqIF file is refused")
    held = _chapters(bundle, content)
    return [
        Requirement(
            requirement_id=fields[ID].strip(),
            statement=fields.get(TEXT) or fields.get(NAME, ""),
            title=fields.get(NAME, "") if fields.get(TEXT) else "",
            design_sections=tuple(
                re.findall(r"(?:§\s*)?((?:\d+|[A-Z])(?:\.\d+)*)", fields.get(SECTIONS, ""))
            ),
            parents=tuple(parents.get(ident, [])),
            chapter=held.get(ident),
            implemented_by=tuple(traced.get(("operation", ident), [])),
            verified_by=tuple(traced.get(("test", ident), [])),
        )
        for ident, fields in found
    ]


def _traced(
    content: ReqIFReqIFContent, ids: dict[str, str], bundle: ReqIFBundle
) -> dict[tuple[str, str], list[str]]:
    """(endpoint kind, requirement object) -> the ForeignIDs of the OPERATION or TEST
    objects related to it by ``Implements`` or ``Verifies``; other relations are not ours."""
    by_type = {type_name: kind for kind, (type_name, _) in _ENDPOINTS.items()}
    relation_of = {relation.lower(): kind for kind, (_, relation) in _ENDPOINTS.items()}
    ends = {
        obj.identifier: (by_type[_type_name(bundle, obj)], _fields(bundle, obj).get(ID, ""))
        for obj in content.spec_objects or []
        if _type_name(bundle, obj) in by_type
    }
    names = {
        t.identifier: str(t.long_name or "").lower()
        for t in content.spec_types or []
        if isinstance(t, ReqIFSpecRelationType)
    }
    traced: dict[tuple[str, str], list[str]] = {}
    for rel in content.spec_relations or []:
        kind = relation_of.get(names.get(rel.relation_type_ref, ""))
        end = ends.get(rel.source)
        if kind is None or end is None or end[0] != kind or rel.target not in ids or not end[1]:
            continue
        traced.setdefault((kind, rel.target), []).append(end[1].strip())
    return traced


def _parents(
    content: ReqIFReqIFContent, ids: dict[str, str], findings: list[Finding], bundle: ReqIFBundle
) -> dict[str, list[str]]:
    names = {
        t.identifier: str(t.long_name or "").lower()
        for t in content.spec_types or []
        if isinstance(t, ReqIFSpecRelationType)
    }
    parents: dict[str, list[str]] = {}
    for rel in content.spec_relations or []:
        kind = names.get(rel.relation_type_ref, "")
        if kind not in {"parent", "child"}:
            continue  # other relations (File, Verifies) have no place in the register
        child, parent = (rel.source, rel.target) if kind == "parent" else (rel.target, rel.source)
        missing = [end for end in (child, parent) if end not in ids]
        if missing:
            findings.append(
                Finding(
                    f"the relation points at {', '.join(missing)}, not at a requirement",
                    code="unknown_reference",
                    path=f"{_RELATIONS}[@IDENTIFIER='{rel.identifier}']",
                )
            )
            continue
        parents.setdefault(child, []).append(ids[parent])
    return parents
