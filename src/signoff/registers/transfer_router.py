"""Registers in other tools' formats: ReqIF, XLSX, CSV (codecs in ``signoff.exchange``).

Exports are ``GET .../exports/<format>``; imports are ``POST .../imports/<format>``, a
preview of the change unless ``apply=true``, and all-or-nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field

from signoff.core.errors import UnsupportedMediaTypeError
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.documents.body import media_type
from signoff.documents.deps import Documents, get_cpu
from signoff.documents.errors import DocumentArchived, DocumentNotFound
from signoff.exchange import ImportRejected
from signoff.exchange.sheets import XLSX, read_xlsx, to_csv, to_xlsx
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess
from signoff.registers.errors import ImportRefused, ImportTooLarge, RegisterSectionMissing
from signoff.registers.kinds import KINDS, REQUIREMENTS
from signoff.registers.router import Registers
from signoff.registers.transfer import Incoming, Plan, TransferService

router = signoff_router(tags=["exchange"])
Reader = Annotated[OrgAccess, requires(Action.DOCUMENTS_READ)]
Writer = Annotated[OrgAccess, requires(Action.DOCUMENTS_WRITE)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)
BASE = "/orgs/{org}/documents/{doc}"
REQIF = "application/xml"
ZIP = "application/zip"
ZIP_TYPES = (ZIP, "application/x-zip-compressed")
REQIF_TYPES = ("application/xml", "text/xml", "application/reqif+xml")
RegisterParam = Literal[
    "requirements", "decisions", "risks", "questions", "performance-goals", "glossary", "references"
]
T = TypeVar("T")


async def get_transfer(
    request: Request, registers: Registers, documents: Documents
) -> TransferService:
    return TransferService(registers, documents, get_cpu(request))


Transfer = Annotated[TransferService, Depends(get_transfer)]


class PlanRead(BaseModel):
    register_name: str = Field(alias="register")
    added: list[str] = Field(description="Keys of the rows the import adds.")
    changed: list[str] = Field(description="Keys of the rows whose text it changes.")
    removed: list[str] = Field(description="Keys of the rows it removes (absent from the file).")
    unchanged: int
    applied: bool = Field(description="False: a preview, nothing was written.")
    revision: int | None = Field(description="The document's head revision after the apply.")


def _read(plan: Plan) -> PlanRead:
    return PlanRead.model_validate(plan, from_attributes=True)


async def refusing(work: Awaitable[T]) -> T:
    """A codec's refusal as a problem: every finding with its line, row or XML path."""
    try:
        return await work
    except ImportRejected as exc:
        errors = [f.as_error() for f in exc.findings]
        if exc.too_large:
            raise ImportTooLarge(exc.summary, errors=errors) from exc
        raise ImportRefused(exc.summary, errors=errors) from exc


async def _upload(request: Request, accepted: tuple[str, ...]) -> bytes:
    if media_type(request) not in accepted:
        raise UnsupportedMediaTypeError(
            f"Send one of: {', '.join(accepted)}.", headers={"Accept-Post": ", ".join(accepted)}
        )
    return await request.body()


def _raw(types: tuple[str, ...], binary: bool = False) -> dict[str, Any]:
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {"requestBody": {"required": True, "content": {t: {"schema": schema} for t in types}}}


def attachment(content: bytes | str, media: str, name: str) -> Response:
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


IMPORT_PROBLEMS = problems(
    *DENIED,
    DocumentNotFound,
    DocumentArchived,
    ImportRefused,
    ImportTooLarge,
    RegisterSectionMissing,
    UnsupportedMediaTypeError,
)
Apply = Annotated[bool, Query(description="Write the change; without it, only a preview.")]


@router.post(f"{BASE}/imports/reqif", openapi_extra=_raw(REQIF_TYPES), responses=IMPORT_PROBLEMS)
async def import_reqif(
    doc: str, request: Request, access: Writer, transfer: Transfer, apply: Apply = False
) -> PlanRead:
    """Replace the requirements register with a ReqIF file's requirements (4 MiB, 10,000
    spec objects at most; no DTD or entities): a preview, or with `apply=true` one new
    revision. A refused file imports nothing and lists each finding with its XML path."""
    data = await _upload(request, REQIF_TYPES)
    incoming = await refusing(transfer.reqif_incoming(access, doc, data))
    return _read(await refusing(transfer.import_requirements(access, doc, incoming, apply=apply)))


@router.post(f"{BASE}/imports/xlsx", openapi_extra=_raw((XLSX,), True), responses=IMPORT_PROBLEMS)
async def import_xlsx(
    doc: str, request: Request, access: Writer, transfer: Transfer, apply: Apply = False
) -> PlanRead:
    """Replace the requirements register with a spreadsheet's first sheet (columns as in the
    XLSX export; 4 MiB, 32 MiB unpacked, 10,000 rows at most): a preview, or with
    `apply=true` one new revision. A refused file imports nothing; findings name their row."""
    data = await _upload(request, (XLSX,))
    incoming = await refusing(_sheet_rows(data))
    return _read(await refusing(transfer.import_requirements(access, doc, incoming, apply=apply)))


async def _sheet_rows(data: bytes) -> list[Incoming]:
    columns = {c.header.lower(): c.field for c in REQUIREMENTS.columns}
    columns |= {"summary": "summary", "document": "", "version": "", "section": ""}
    rows = read_xlsx(data, columns, ["Requirement ID"])
    out = []
    for number, row in rows:
        values: dict[str, Any] = {k: v for k, v in row.items() if k}
        for name in ("design_sections", "parents"):
            if name in values:
                values[name] = [v.strip() for v in values[name].split(",") if v.strip()]
        out.append(Incoming(values, row=number))
    return out


@router.get(
    f"{BASE}/exports/xlsx",
    response_class=Response,
    responses={**problems(*DENIED, DocumentNotFound), 200: {"content": {XLSX: {}}}},
)
async def export_xlsx(doc: str, access: Reader, transfer: Transfer) -> Response:
    """Every register of the document as a workbook, one sheet each; each row with the
    document's key, its version and the register's section."""
    sheets = await transfer.sheets(access, doc, list(KINDS))
    return attachment(to_xlsx(sheets), XLSX, f"{doc}-registers.xlsx")


@router.get(
    f"{BASE}/exports/csv",
    response_class=Response,
    responses={**problems(*DENIED, DocumentNotFound), 200: {"content": {"text/csv": {}}}},
)
async def export_csv(
    doc: str, access: Reader, transfer: Transfer, register: RegisterParam = "requirements"
) -> Response:
    """One register of the document as CSV; each row with the document's key, its version
    and the register's section."""
    (sheet,) = await transfer.sheets(access, doc, [register])
    return attachment(to_csv(sheet), "text/csv; charset=utf-8", f"{doc}-{register}.csv")


@router.get(
    f"{BASE}/exports/madr",
    response_class=Response,
    responses={**problems(*DENIED, DocumentNotFound), 200: {"content": {ZIP: {}}}},
)
async def export_madr(doc: str, access: Reader, transfer: Transfer) -> Response:
    """The document's decisions (§3.3) as a zip of numbered MADR files, `0001-title.md`,
    with their status and superseded-by links."""
    return attachment(await transfer.export_madr(access, doc), ZIP, f"{doc}-decisions.zip")


@router.post(f"{BASE}/imports/madr", openapi_extra=_raw(ZIP_TYPES, True), responses=IMPORT_PROBLEMS)
async def import_madr(
    doc: str, request: Request, access: Writer, transfer: Transfer, apply: Apply = False
) -> PlanRead:
    """Replace §3.3's decisions with a zipped adr-tools, log4brains or MADR folder (4 MiB,
    32 MiB unpacked, 10,000 files at most): status, context, options, decision,
    consequences and superseded-by links kept. A preview, or with `apply=true` one new
    revision; a refused folder imports nothing and each finding names its file."""
    data = await _upload(request, ZIP_TYPES)
    return _read(await refusing(transfer.import_madr(access, doc, data, apply=apply)))
