"""The ``/v1`` router: each domain's router, included here and nowhere else."""

from fastapi import APIRouter

from signoff.accounts import router as accounts
from signoff.audit import router as audit
from signoff.documents import router as documents
from signoff.documents import router_history as document_history
from signoff.documents import router_templates as document_templates
from signoff.inbound import router as inbound
from signoff.orgs import credentials_router, limits_router
from signoff.orgs import router as orgs
from signoff.registers import router as registers
from signoff.registers import transfer_router
from signoff.review import pdf_router
from signoff.review import router as review
from signoff.templates import router as templates
from signoff.traceability import router as traceability
from signoff.traceability import transfer_router as trace_transfer
from signoff.webhooks import router as webhooks

# Included into the app each with the prefix (signoff.app): FastAPI walks, and builds the
# dependencies of, every route of a router included without one, to check that no path is
# left empty; through a router of routers that walk was a third of start-up.
ROUTERS = (
    accounts.router,
    orgs.router,
    credentials_router.router,
    limits_router.router,
    audit.router,
    templates.router,
    document_templates.router,
    documents.router,
    document_history.router,
    traceability.router,
    review.router,
    pdf_router.router,
    # After the documents, traceability and review routers: `/documents/{doc}/{register}`
    # must not shadow their sub-paths.
    registers.router,
    transfer_router.router,
    trace_transfer.router,
    webhooks.router,
    inbound.router,
)
PREFIX = "/v1"

# Outside /v1: the JWKS lives where OAuth and OIDC clients look for it.
root = APIRouter()
root.include_router(accounts.wellknown)
