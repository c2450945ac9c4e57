"""OAuth 2.0 token and revocation endpoints, and the JWKS."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Form, Request, Response

from signoff.accounts.deps import GrantServiceDep, Runtime
from signoff.accounts.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    NoSession,
    OAuthError,
    UnsupportedGrantType,
)
from signoff.accounts.schemas import JwksRead, TokenRead
from signoff.accounts.service.users import InvalidCredentials
from signoff.accounts.throttle import LoginThrottled
from signoff.accounts.tokens import RefreshTokenReused
from signoff.core.access import AUTHENTICATED, PUBLIC
from signoff.core.auth import CurrentPrincipal
from signoff.core.idempotency import not_idempotent
from signoff.core.problems import problems
from signoff.core.routing import signoff_router
from signoff.core.transaction import DbSession
from signoff.core.web import ClientAddress, ClockDep

router = signoff_router(tags=["auth"])
wellknown = signoff_router(tags=["auth"])

FormField = Annotated[str | None, Form()]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class InvalidRequest(OAuthError):
    code = "invalid_request"
    title = "The token request is missing a parameter or is malformed"
    oauth_error = "invalid_request"


def _require(value: str | None, name: str) -> str:
    if not value:
        raise InvalidRequest(f"The '{name}' parameter is required.")
    return value


def _basic_client(request: Request) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1 client credentials in HTTP Basic (form-urlencoded, then base64)."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("The Basic credentials are malformed.") from exc
    if not sep:
        raise InvalidClient("The Basic credentials are malformed.")
    return unquote_plus(client_id), unquote_plus(secret)


@router.post(
    "/auth/token",
    response_model=TokenRead,
    dependencies=[PUBLIC],
    responses=problems(
        InvalidRequest,
        InvalidGrant,
        InvalidCredentials,
        RefreshTokenReused,
        InvalidScope,
        UnsupportedGrantType,
        InvalidClient,
        LoginThrottled,
    ),
)
@not_idempotent
async def create_token(
    request: Request,
    response: Response,
    grants: GrantServiceDep,
    address: ClientAddress,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    refresh_token: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    scope: FormField = None,
) -> TokenRead:
    """Issue tokens: `password`, `refresh_token` or `client_credentials` grant (RFC 6749)."""
    response.headers.update(NO_STORE)
    if grant_type == "password":
        issued = await grants.password(
            _require(username, "username"), _require(password, "password"), scope, address
        )
    elif grant_type == "refresh_token":
        issued = await grants.refresh(_require(refresh_token, "refresh_token"), scope)
    elif grant_type == "client_credentials":
        basic = _basic_client(request)
        cid, secret = basic or (
            _require(client_id, "client_id"),
            _require(client_secret, "client_secret"),
        )
        issued = await grants.client_credentials(cid, secret, scope)
    elif grant_type is None:
        raise InvalidRequest("The 'grant_type' parameter is required.")
    else:
        raise UnsupportedGrantType(f"Grant type {grant_type!r} is not supported.")
    return TokenRead(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=issued.scope,
        refresh_token=issued.refresh_token,
    )


@router.post(
    "/auth/revoke",
    status_code=200,
    dependencies=[PUBLIC],
    response_class=Response,
    responses=problems(InvalidRequest),
)
@not_idempotent
async def revoke_token(
    grants: GrantServiceDep, token: FormField = None, token_type_hint: FormField = None
) -> Response:
    """Revoke a refresh token and every token rotated from it (RFC 7009)."""
    await grants.revoke(_require(token, "token"))
    return Response(status_code=200, headers=NO_STORE)


@router.post(
    "/auth/logout",
    status_code=204,
    dependencies=[AUTHENTICATED],
    response_class=Response,
    responses=problems(NoSession),
)
@not_idempotent
async def logout(principal: CurrentPrincipal, grants: GrantServiceDep) -> Response:
    """Sign out: end the caller's session, its refresh tokens at once and its access tokens
    from the next request on (on every instance, through the revocation list)."""
    await grants.sign_out(principal)
    return Response(status_code=204, headers=NO_STORE)


@wellknown.get("/.well-known/jwks.json", response_model=JwksRead, dependencies=[PUBLIC])
async def get_jwks(
    runtime: Runtime, session: DbSession, clock: ClockDep, response: Response
) -> JwksRead:
    """The public keys that verify Signoff's access tokens, current and previous."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return JwksRead.model_validate(await runtime.keys.jwks(session, clock.now()))
