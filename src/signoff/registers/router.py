"""Register rows of a document, and the organization-wide views of questions and risks."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request, Response
from pydantic import ValidationError
from starlette.convertors import Convertor, register_url_convertor

from signoff.core.pagination import Page
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, IfMatchHeader, PageDep
from signoff.documents.deps import Documents
from signoff.documents.errors import DocumentArchived, DocumentNotFound
from signoff.orgs.deps import MemberServiceDep, requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.registers.errors import (
    DuplicateKey,
    InvalidRegisterItem,
    ItemNotFound,
    RegisterSectionMissing,
)
from signoff.registers.kinds import KINDS, QUESTIONS, RISKS
from signoff.registers.schemas import (
    INPUTS,
    OrgRegisterItemRead,
    RegisterItemRead,
    read,
    validation_errors,
)
from signoff.registers.service import OrgItemFilter, RegisterService, item_etag

router = signoff_router(tags=["registers"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)


class RegisterSegment(Convertor[str]):
    """`{register}` matches only a register's name, so the register routes do not swallow
    the document's other sub-resources (`/sections/{id}`, `/revisions/{n}`): a method those
    do not have is a 405 with the right `Allow`, not a register error."""

    regex = "|".join(re.escape(name) for name in sorted(KINDS, key=len, reverse=True))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("signoff_register", RegisterSegment())
BASE = "/orgs/{org}/documents/{doc}/{register:signoff_register}"
REGISTER_NAMES = ", ".join(f"`{k}`" for k in KINDS)
# One OpenAPI body for every register: the schema of each kind, chosen by the path.
ANY_ITEM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [m.model_json_schema() for m in INPUTS.values()]}
            }
        },
    }
}


async def get_registers(
    request: Request, session: DbSession, documents: Documents, clock: ClockDep
) -> RegisterService:
    return RegisterService(session, documents, clock, Services.of(request.app).cursors)


Registers = Annotated[RegisterService, Depends(get_registers)]
RegisterName = Annotated[str, f"One of {REGISTER_NAMES}."]


def _validated(register: str, body: dict[str, Any], *, partial: bool) -> Any:
    model = INPUTS[register]
    try:
        if partial:
            unknown = set(body) - set(model.model_fields)
            if unknown:
                raise InvalidRegisterItem(
                    errors=[
                        {"pointer": f"/{k}", "detail": "unknown field", "code": "extra_forbidden"}
                        for k in unknown
                    ]
                )
            return body
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidRegisterItem(errors=validation_errors(exc.errors())) from exc


@router.get(
    BASE,
    responses=problems(
        *DENIED,
        DocumentNotFound,
    ),
)
async def list_register_items(
    register: str, doc: str, access: Reader, registers: Registers, page: PageDep
) -> Page[RegisterItemRead]:
    """A document's register rows in table order (`requirements`, `decisions`, `risks`, ...)."""
    kind = KINDS[register]
    items, cursor = await registers.page(access, doc, kind, page)
    return Page(items=[read(kind, i, registers.today()) for i in items], next_cursor=cursor)


@router.post(
    BASE,
    status_code=201,
    openapi_extra=ANY_ITEM,
    responses=problems(
        *DENIED,
        DocumentNotFound,
        InvalidRegisterItem,
        RegisterSectionMissing,
        DuplicateKey,
        DocumentArchived,
    ),
)
async def create_register_item(
    register: str,
    doc: str,
    access: Writer,
    registers: Registers,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
) -> RegisterItemRead:
    """Add a row: it is written into the document's table (or decision blocks), as a new
    revision."""
    kind = KINDS[register]
    item = await registers.create(access, doc, kind, _validated(register, body, partial=False))
    response.headers["Location"] = (
        f"/v1/orgs/{access.org.slug}/documents/{doc}/{register}/{item.id}"
    )
    response.headers["ETag"] = item_etag(item)
    return read(kind, item, registers.today())


@router.get(
    f"{BASE}/{{item_id}}",
    responses=problems(*DENIED, DocumentNotFound, ItemNotFound),
)
async def get_register_item(
    register: str,
    doc: str,
    item_id: uuid.UUID,
    access: Reader,
    registers: Registers,
    response: Response,
) -> RegisterItemRead:
    """One register row."""
    kind = KINDS[register]
    item = await registers.get(access, doc, kind, item_id)
    response.headers["ETag"] = item_etag(item)
    return read(kind, item, registers.today())


@router.patch(
    f"{BASE}/{{item_id}}",
    openapi_extra=ANY_ITEM,
    responses=problems(
        *DENIED,
        DocumentNotFound,
        ItemNotFound,
        InvalidRegisterItem,
        DuplicateKey,
        DocumentArchived,
    ),
)
async def update_register_item(
    register: str,
    doc: str,
    item_id: uuid.UUID,
    access: Writer,
    registers: Registers,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: IfMatchHeader = None,
) -> RegisterItemRead:
    """Change some fields of a row (`If-Match`: the row's ETag)."""
    kind = KINDS[register]
    changes = _validated(register, body, partial=True)
    item = await registers.update(access, doc, kind, item_id, changes, if_match)
    response.headers["ETag"] = item_etag(item)
    return read(kind, item, registers.today())


@router.delete(
    f"{BASE}/{{item_id}}",
    status_code=204,
    responses=problems(*DENIED, DocumentNotFound, ItemNotFound, DocumentArchived),
)
async def delete_register_item(
    register: str,
    doc: str,
    item_id: uuid.UUID,
    access: Writer,
    registers: Registers,
    if_match: IfMatchHeader = None,
) -> Response:
    """Remove a row from the document's table (`If-Match`: the row's ETag)."""
    await registers.delete(access, doc, KINDS[register], item_id, if_match)
    return Response(status_code=204)


async def _owners(
    owner: str | None, access: OrgAccess, members: MemberServiceDep
) -> tuple[str, ...]:
    if owner is None:
        return ()
    if owner != "me" or access.principal.user_id is None:
        return (owner,)
    me = await members.get(access, access.principal.user_id)
    return (me.user.name, me.user.email)


def _org_read(items: list[Any], today: Any, kind: Any) -> list[OrgRegisterItemRead]:
    return [
        OrgRegisterItemRead(
            **read(kind, o.item, today).model_dump(),
            document=o.document.key,
            document_title=o.document.title,
        )
        for o in items
    ]


@router.get("/orgs/{org}/questions", responses=problems(*DENIED))
async def list_org_questions(
    access: Reader,
    registers: Registers,
    members: MemberServiceDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    overdue: bool | None = None,
    owner: Annotated[
        str | None, Query(max_length=200, description="A name, an email, or `me`.")
    ] = None,
) -> Page[OrgRegisterItemRead]:
    """Open questions across the organization's documents, with overdue ones flagged."""
    filters = OrgItemFilter(status, overdue, await _owners(owner, access, members))
    items, cursor = await registers.org_page(access, QUESTIONS, page, filters)
    return Page(items=_org_read(items, registers.today(), QUESTIONS), next_cursor=cursor)


@router.get("/orgs/{org}/risks", responses=problems(*DENIED))
async def list_org_risks(
    access: Reader,
    registers: Registers,
    members: MemberServiceDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    owner: Annotated[
        str | None, Query(max_length=200, description="A name, an email, or `me`.")
    ] = None,
) -> Page[OrgRegisterItemRead]:
    """Risks across the organization's documents, highest likelihood x impact first."""
    filters = OrgItemFilter(status, owners=await _owners(owner, access, members))
    items, cursor = await registers.org_page(access, RISKS, page, filters)
    return Page(items=_org_read(items, registers.today(), RISKS), next_cursor=cursor)
