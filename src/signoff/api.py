"""The ``/v1`` router: each domain's router, included here and nowhere else."""

from fastapi import APIRouter

from signoff.accounts import router as accounts
from signoff.audit import router as audit
from signoff.documents import router as documents
from signoff.documents import router_history as document_history
from signoff.inbound import router as inbound
from signoff.orgs import credentials_router
from signoff.orgs import router as orgs
from signoff.registers import router as registers
from signoff.review import router as review
from signoff.templates import router as templates
from signoff.traceability import router as traceability
from signoff.webhooks import router as webhooks

router = APIRouter(prefix="/v1")
router.include_router(accounts.router)
router.include_router(orgs.router)
router.include_router(credentials_router.router)
router.include_router(audit.router)
router.include_router(templates.router)
router.include_router(documents.router)
router.include_router(document_history.router)
router.include_router(traceability.router)
router.include_router(review.router)
# After the documents, traceability and review routers: `/documents/{doc}/{register}` must
# not shadow their sub-paths.
router.include_router(registers.router)
router.include_router(webhooks.router)
router.include_router(inbound.router)

# Outside /v1: the JWKS lives where OAuth and OIDC clients look for it.
root = APIRouter()
root.include_router(accounts.wellknown)
