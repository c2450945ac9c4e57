"""API keys and service accounts of an organization (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response

from signoff.accounts.deps import CredentialServiceDep
from signoff.accounts.errors import CredentialNotFound, InvalidExpiry, InvalidScope
from signoff.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ServiceAccountCreate,
    ServiceAccountCreated,
    ServiceAccountRead,
)
from signoff.core.idempotency import not_idempotent
from signoff.core.pagination import Page, PageRequest
from signoff.core.permissions import Action
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.web import page_request
from signoff.orgs.deps import requires
from signoff.orgs.errors import InsufficientRole, InsufficientScope, OrgNotFound
from signoff.orgs.service import OrgAccess

router = signoff_router(tags=["credentials"])
Admin = Annotated[OrgAccess, requires(Action.CREDENTIALS_MANAGE)]
PageDep = Annotated[PageRequest, Depends(page_request)]
DENIED = (OrgNotFound, InsufficientRole, InsufficientScope)


@router.get("/orgs/{org}/api-keys", responses=problems(*DENIED))
async def list_api_keys(
    access: Admin, credentials: CredentialServiceDep, page: PageDep
) -> Page[ApiKeyRead]:
    """Active API keys (never their secrets)."""
    items, cursor = await credentials.api_keys(access.org_id, page)
    return Page(items=[ApiKeyRead.model_validate(k) for k in items], next_cursor=cursor)


@router.post(
    "/orgs/{org}/api-keys",
    status_code=201,
    responses=problems(*DENIED, InvalidScope, InvalidExpiry),
)
@not_idempotent  # the response holds the secret, which is never stored in clear
async def create_api_key(
    body: ApiKeyCreate, access: Admin, credentials: CredentialServiceDep, response: Response
) -> ApiKeyCreated:
    """Create an API key; its secret is in this response only."""
    issued = await credentials.create_api_key(
        access.org_id, body.name, list(body.scopes), body.expires_at, access.principal.user_id
    )
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/api-keys/{issued.credential.id}"
    return ApiKeyCreated(
        **ApiKeyRead.model_validate(issued.credential).model_dump(), secret=issued.secret
    )


@router.delete(
    "/orgs/{org}/api-keys/{key_id}",
    status_code=204,
    responses=problems(*DENIED, CredentialNotFound),
)
async def delete_api_key(
    key_id: uuid.UUID, access: Admin, credentials: CredentialServiceDep
) -> Response:
    """Revoke an API key at once."""
    await credentials.revoke_api_key(access.org_id, key_id)
    return Response(status_code=204)


@router.get("/orgs/{org}/service-accounts", responses=problems(*DENIED))
async def list_service_accounts(
    access: Admin, credentials: CredentialServiceDep, page: PageDep
) -> Page[ServiceAccountRead]:
    """Active service accounts (never their secrets)."""
    items, cursor = await credentials.service_accounts(access.org_id, page)
    return Page(items=[ServiceAccountRead.model_validate(a) for a in items], next_cursor=cursor)


@router.post(
    "/orgs/{org}/service-accounts", status_code=201, responses=problems(*DENIED, InvalidScope)
)
@not_idempotent  # the response holds the secret, which is never stored in clear
async def create_service_account(
    body: ServiceAccountCreate,
    access: Admin,
    credentials: CredentialServiceDep,
    response: Response,
) -> ServiceAccountCreated:
    """Create a service account for the client_credentials grant; the secret is shown once."""
    issued = await credentials.create_service_account(
        access.org_id, body.name, list(body.scopes), access.principal.user_id
    )
    account = issued.credential
    response.headers["Location"] = f"/v1/orgs/{access.org.slug}/service-accounts/{account.id}"
    return ServiceAccountCreated(
        **ServiceAccountRead.model_validate(account).model_dump(), client_secret=issued.secret
    )


@router.delete(
    "/orgs/{org}/service-accounts/{account_id}",
    status_code=204,
    responses=problems(*DENIED, CredentialNotFound),
)
async def delete_service_account(
    account_id: uuid.UUID, access: Admin, credentials: CredentialServiceDep
) -> Response:
    """Revoke a service account; tokens it already holds expire within minutes."""
    await credentials.revoke_service_account(access.org_id, account_id)
    return Response(status_code=204)
