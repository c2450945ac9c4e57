"""The ReqIF export, with the trace: a requirement's operations and tests are known here,
above the registers (whose transfer service writes the requirements)."""

from __future__ import annotations

from fastapi import Response

from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.documents.errors import DocumentNotFound
from signoff.registers.transfer_router import (
    BASE,
    DENIED,
    REQIF,
    Reader,
    Transfer,
    attachment,
)
from signoff.traceability.router import Trace

router = signoff_router(tags=["exchange"])


@router.get(
    f"{BASE}/exports/reqif",
    response_class=Response,
    responses={**problems(*DENIED, DocumentNotFound), 200: {"content": {REQIF: {}}}},
)
async def export_reqif(doc: str, access: Reader, transfer: Transfer, trace: Trace) -> Response:
    """The document's requirements as ReqIF 1.2 (StrictDoc's profile): parent links as
    spec relations, each requirement under the section that holds it, and the API
    operations and tests it is traced to as OPERATION and TEST objects with `Implements`
    and `Verifies` relations to it."""
    endpoints, traced = await trace.reqif_trace(access, doc)
    text = await transfer.export_reqif(access, doc, endpoints, traced)
    return attachment(text.encode(), f"{REQIF}; charset=utf-8", f"{doc}.reqif")
