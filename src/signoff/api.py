"""The ``/v1`` router: each domain's router, included here and nowhere else."""

from fastapi import APIRouter

from signoff.accounts import router as accounts
from signoff.audit import router as audit
from signoff.orgs import credentials_router
from signoff.orgs import router as orgs
from signoff.webhooks import router as webhooks

router = APIRouter(prefix="/v1")
router.include_router(accounts.router)
router.include_router(orgs.router)
router.include_router(credentials_router.router)
router.include_router(audit.router)
router.include_router(webhooks.router)

# Outside /v1: the JWKS lives where OAuth and OIDC clients look for it.
root = APIRouter()
root.include_router(accounts.wellknown)
