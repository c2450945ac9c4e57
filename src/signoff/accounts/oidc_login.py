""" "Sign in with <issuer>": the OpenID Connect authorization code flow with PKCE (S256),
``state`` and ``nonce``, for the web UI's sign-in page.

Nothing is stored between the redirect to the issuer and the callback: ``state`` is random
and travels in the browser's flow cookie (which the caller binds to the browser), and the
PKCE verifier and the nonce are HMACs of it under the server's secret, so only this server,
holding that state, can redeem the code or accept the id_token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from signoff.accounts.errors import (
    ExternalSignInFailed,
    IdentityProviderUnavailable,
    InvalidToken,
)
from signoff.accounts.oidc import ExternalIdentityClaims, OidcError, OidcVerifier
from signoff.core.config import OidcSettings

SCOPES = "openid email profile"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcLogin:
    def __init__(self, settings: OidcSettings, verifier: OidcVerifier, secret: str) -> None:
        client_id = settings.client_id or settings.audience
        assert client_id is not None  # Settings requires the audience with an issuer
        self.client_id = client_id
        self._client_secret = settings.client_secret
        self._verifier = verifier
        self._secret = secret.encode()
        self.display_name = settings.display_name or urlsplit(verifier.issuer).netloc

    def _derive(self, purpose: str, state: str) -> str:
        return _b64(hmac.new(self._secret, f"oidc-{purpose}:{state}".encode(), "sha256").digest())

    async def start(self, redirect_uri: str) -> tuple[str, str]:
        """The issuer's authorization URL for a new sign-in, and the sign-in's state."""
        state = secrets.token_urlsafe(32)
        endpoint = await self._endpoint("authorization_endpoint")
        challenge = _b64(hashlib.sha256(self._derive("pkce", state).encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": self._derive("nonce", state),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        separator = "&" if urlsplit(endpoint).query else "?"
        return f"{endpoint}{separator}{urlencode(query)}", state

    async def finish(self, code: str, state: str, redirect_uri: str) -> ExternalIdentityClaims:
        """Redeem the code at the token endpoint and verify the id_token it returns (the
        state was already matched against the browser's by the caller)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": self._derive("pkce", state),
        }
        secret = self._client_secret
        auth = (self.client_id, secret.get_secret_value()) if secret is not None else None
        endpoint = await self._endpoint("token_endpoint")
        try:
            answer = await self._verifier.post_form(endpoint, form, auth)
        except httpx.HTTPStatusError as exc:
            raise ExternalSignInFailed(
                f"The identity provider refused the sign-in ({_oauth_error(exc.response)})."
            ) from exc
        except (httpx.HTTPError, OidcError, ValueError) as exc:
            raise IdentityProviderUnavailable("Try again in a moment.") from exc
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise ExternalSignInFailed("The identity provider returned no id_token.")
        try:
            return await self._verifier.verify(id_token, nonce=self._derive("nonce", state))
        except InvalidToken as exc:
            raise ExternalSignInFailed(exc.detail) from exc

    async def _endpoint(self, name: str) -> str:
        try:
            url = (await self._verifier.metadata()).get(name)
        except (httpx.HTTPError, OidcError, ValueError) as exc:
            raise IdentityProviderUnavailable("Try again in a moment.") from exc
        if not isinstance(url, str):
            raise IdentityProviderUnavailable(f"The identity provider lists no {name}.")
        return url


def _oauth_error(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    return error[:100] if isinstance(error, str) else f"HTTP {response.status_code}"
