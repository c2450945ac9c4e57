"""A document's registers (requirements with their trace status, decisions, risks, questions,
glossary) and its traceability matrix, where a suspect link can be confirmed.

Rows come from the register service and the matrix from ``TraceService.matrix``, as
``/v1`` answers them; sorting and filtering are of the rows on screen.
"""

from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from signoff.core.errors import NotFoundError, SignoffError
from signoff.core.pagination import MAX_LIMIT, PageRequest
from signoff.documents.deps import Documents
from signoff.documents.schemas import summary
from signoff.orgs.service import OrgAccess
from signoff.registers.kinds import KINDS, Column, Kind
from signoff.registers.router import Registers
from signoff.registers.schemas import INPUTS, RegisterItemRead, read
from signoff.traceability.router import Trace
from signoff.traceability.schemas import MatrixRead, MatrixRowRead, link_read, matrix_read
from signoff.web.access import OrgReader, OrgWriter
from signoff.web.forms import parse, text
from signoff.web.render import html
from signoff.web.routing import refused, web_router
from signoff.web.session import BrowserDep

router = web_router()
BASE = "/ui/orgs/{org}/documents/{doc}"
# The registers people look at (ui.md); the others stay in the document's tables.
SHOWN = ("requirements", "decisions", "risks", "questions", "glossary")
WRITERS = ("member", "admin", "owner")


class RegisterNotShown(NotFoundError):
    code = "register_not_found"
    title = "No such register"


@dataclass(frozen=True)
class Input:
    """One field of the add-a-row form, from the API's schema of the register."""

    name: str
    label: str
    kind: str  # text, textarea, select, checkbox, date
    choices: tuple[str, ...] = ()
    required: bool = False
    default: str = ""


def _inputs(kind: Kind) -> list[Input]:
    model = INPUTS[kind.name]
    labels = {c.field: c.header for c in kind.columns}
    found = []
    for name, info in model.model_fields.items():
        label = labels.get(name, name.replace("_", " ").capitalize())
        annotation = info.annotation
        choices = (
            typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
        )
        default = info.default if isinstance(info.default, str) else ""
        if choices:
            found.append(Input(name, label, "select", tuple(choices), info.is_required(), default))
        elif annotation is bool:
            found.append(Input(name, label, "checkbox"))
        elif annotation in (date, date | None):
            found.append(Input(name, label, "date"))
        else:
            bounds = [getattr(m, "max_length", None) for m in info.metadata]
            long = any(isinstance(b, int) and b > 300 for b in bounds)
            found.append(Input(name, label, "textarea" if long else "text", (), info.is_required()))
    return found


def _values(kind: Kind, form: FormData) -> dict[str, Any]:
    """The form as the API's JSON body: empty optional fields left out, lists split."""
    values: dict[str, Any] = {}
    for field in _inputs(kind):
        if field.kind == "checkbox":
            values[field.name] = form.get(field.name) == "on"
            continue
        value = text(form, field.name, required=False, max_length=5000)
        if not value:
            continue
        if field.name == "design_sections":
            values[field.name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            values[field.name] = value
    return values


@dataclass(frozen=True)
class TraceStatus:
    designed: bool
    implemented: bool
    tested: bool
    suspect: int


def _trace_status(row: MatrixRowRead | None) -> TraceStatus | None:
    if row is None:
        return None
    return TraceStatus(
        bool(row.sections), bool(row.operations), row.passing_tests > 0, row.suspect_links
    )


async def _matrix(access: OrgAccess, doc: str, trace: Trace) -> MatrixRead:
    _, matrix = await trace.matrix(access, doc)
    return matrix_read(matrix)


def _kind(register: str) -> Kind:
    if register not in SHOWN:
        raise RegisterNotShown(f"Registers: {', '.join(SHOWN)}.")
    return KINDS[register]


def _sorted(
    items: list[RegisterItemRead], columns: list[Column], sort: str, q: str
) -> list[RegisterItemRead]:
    words = q.lower().split()
    if words:
        items = [i for i in items if all(w in " ".join(i.text.values()).lower() for w in words)]
    if sort in {c.field for c in columns}:
        items = sorted(items, key=lambda i: i.text.get(sort, "").lower())
    return items


async def _register_context(
    register: str,
    doc: str,
    access: OrgAccess,
    registers: Registers,
    documents: Documents,
    trace: Trace,
    sort: str = "",
    q: str = "",
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    kind = _kind(register)
    document = await documents.get(access, doc)
    found, more = await registers.page(access, doc, kind, PageRequest(MAX_LIMIT))
    today = registers.today()
    items = [read(kind, i, today) for i in found]
    columns = kind.headers([i.text for i in items])
    status: dict[str, TraceStatus | None] = {}
    if kind.name == "requirements":
        rows = {r.requirement.ref: r for r in (await _matrix(access, doc, trace)).rows}
        status = {str(i.id): _trace_status(rows.get(str(i.id))) for i in items}
    _, sections = await documents.head(document)
    numbers = {s.template_number: s.number for s in sections if s.template_number and s.number}
    place = await registers.places.section_of(document, kind)
    held = next((s for s in sections if place and s.template_number == place), None)
    return {
        "document": summary(document),
        "kind": kind,
        "registers": SHOWN,
        "items": _sorted(items, columns, sort, q),
        "total": len(items),
        "more": more is not None,
        "columns": columns,
        "status": status,
        # Where the register lives: its anchor in the reader, and how a person names it.
        "section": None if held is None else held.number or held.section_id,
        "section_label": None if held is None else f"§{held.number}" if held.number else held.title,
        "numbers": numbers,
        "sort": sort,
        "q": q,
        "inputs": _inputs(kind),
        "values": values or {},
        "can_write": access.role.label in WRITERS,
    }


@router.get(BASE + "/registers")
async def registers_home(org: str, doc: str, browser: BrowserDep, access: OrgReader) -> Response:
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{doc}/registers/requirements", status_code=303
    )


@router.get(BASE + "/registers/{register}")
async def register_page(
    request: Request,
    register: str,
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    registers: Registers,
    documents: Documents,
    trace: Trace,
    sort: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    context = await _register_context(
        register, doc, access, registers, documents, trace, sort, q.strip()
    )
    return html(request, "registers/register.html", context)


@router.post(BASE + "/registers/{register}")
async def add_row(
    request: Request,
    register: str,
    doc: str,
    browser: BrowserDep,
    access: OrgWriter,
    registers: Registers,
    documents: Documents,
    trace: Trace,
) -> Response:
    """Add a row, as ``POST /v1/.../{register}``: written into the document's table."""
    kind = _kind(register)
    form = await request.form()
    raw = {f.name: text(form, f.name, required=False, max_length=5000) for f in _inputs(kind)}
    try:
        body = parse(INPUTS[kind.name], _values(kind, form))
        await registers.create(access, doc, kind, body)
    except SignoffError as exc:
        context = await _register_context(
            register, doc, access, registers, documents, trace, values=raw
        )
        raise refused(request, exc, "registers/register.html", context) from exc
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{doc}/registers/{register}#rows", status_code=303
    )


async def _trace_context(
    doc: str,
    access: OrgAccess,
    trace: Trace,
    documents: Documents,
) -> dict[str, Any]:
    document = await documents.get(access, doc)
    matrix = await _matrix(access, doc, trace)
    _, suspects, more = await trace.links(access, doc, PageRequest(MAX_LIMIT), True)
    return {
        "document": summary(document),
        "registers": SHOWN,
        "matrix": matrix,
        "status": {r.requirement.ref: _trace_status(r) for r in matrix.rows},
        "suspects": [link_read(x) for x in suspects],
        "more": more is not None,
        "can_write": access.role.label in WRITERS,
    }


@router.get(BASE + "/traceability")
async def traceability_page(
    request: Request,
    doc: str,
    browser: BrowserDep,
    access: OrgReader,
    trace: Trace,
    documents: Documents,
) -> Response:
    context = await _trace_context(doc, access, trace, documents)
    return html(request, "registers/traceability.html", context)


@router.post(BASE + "/trace-links/{link_id}/confirm")
async def confirm_link(
    request: Request,
    doc: str,
    link_id: uuid.UUID,
    browser: BrowserDep,
    access: OrgWriter,
    trace: Trace,
    documents: Documents,
) -> Response:
    """Both ends were looked at and the link still holds: it is no longer suspect."""
    form = await request.form()
    try:
        note = text(form, "note", required=False, max_length=2000)
        await trace.confirm(access, doc, link_id, note or None)
    except SignoffError as exc:
        context = await _trace_context(doc, access, trace, documents)
        raise refused(request, exc, "registers/traceability.html", context) from exc
    return RedirectResponse(
        f"/ui/orgs/{access.org.slug}/documents/{doc}/traceability#suspects", status_code=303
    )
