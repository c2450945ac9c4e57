"""Tokens from an external OpenID Connect issuer (``SIGNOFF_OIDC__*``).

The issuer's JWKS is fetched with a timeout and cached. A token signed with an unknown
``kid`` triggers a refresh (keys rotate), but at most once per ``jwks_min_refresh_s``: a
stream of tokens with forged kids cannot make Signoff hammer the issuer.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from signoff.accounts.errors import InvalidToken
from signoff.core.config import OidcSettings
from signoff.core.logging import get_logger
from signoff.core.permissions import ALL_SCOPES
from signoff.core.principal import Principal

log = get_logger("signoff.oidc")
# Never accepted from an issuer, whatever the settings say: symmetric keys would let anyone
# holding the (public) client secret mint tokens, and "none" is no signature at all.
_FORBIDDEN_ALGORITHMS = {"none", "HS256", "HS384", "HS512"}


@dataclass(frozen=True)
class ExternalIdentityClaims:
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    org_claims: frozenset[tuple[str, str | None]]


def external_principal(user_id: uuid.UUID, claims: ExternalIdentityClaims) -> Principal:
    """The user behind the provider's token or sign-in, carrying the organizations the
    provider vouches for (``AccessService`` joins them by its claim rule)."""
    return Principal(
        kind="user",
        id=user_id,
        user_id=user_id,
        scopes=ALL_SCOPES,
        org_claims=claims.org_claims,
    )


class OidcError(Exception):
    """The issuer could not be reached or answered nonsense."""


class OidcVerifier:
    def __init__(self, settings: OidcSettings, leeway_s: int) -> None:
        assert settings.issuer is not None
        self.issuer = settings.issuer.rstrip("/")
        self._settings = settings
        self._leeway = leeway_s
        self._algorithms = [a for a in settings.algorithms if a not in _FORBIDDEN_ALGORITHMS]
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self._jwks_url = settings.jwks_url
        self._metadata: dict[str, Any] | None = None
        self._check_url(self.issuer)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.http_timeout_s), follow_redirects=False
        )

    def _check_url(self, url: str) -> None:
        if urlsplit(url).scheme != "https" and not self._settings.allow_insecure_http:
            raise OidcError(f"{url} is not https (SIGNOFF_OIDC__ALLOW_INSECURE_HTTP is off)")

    def issued(self, claims: dict[str, Any]) -> bool:
        return str(claims.get("iss", "")).rstrip("/") == self.issuer

    async def verify(self, token: str, *, nonce: str | None = None) -> ExternalIdentityClaims:
        """Check the token's signature, issuer, audience and times; with ``nonce`` (an
        id_token from the sign-in flow), also that it was issued for that very sign-in."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("The token is not a well-formed JWT.") from exc
        if header.get("alg") not in self._algorithms:
            raise InvalidToken("The token's algorithm is not accepted.")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"The identity provider's token is not valid: {exc}.") from exc
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise InvalidToken("The identity provider's token was not issued for this sign-in.")
        return ExternalIdentityClaims(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            email=_str_or_none(claims.get("email")),
            email_verified=claims.get("email_verified") is True,
            name=_str_or_none(claims.get("name")),
            org_claims=self._org_claims(claims),
        )

    def _org_claims(self, claims: dict[str, Any]) -> frozenset[tuple[str, str | None]]:
        name = self._settings.org_claim
        raw = claims.get(name) if name else None
        if isinstance(raw, str):
            raw = raw.split()
        if not isinstance(raw, list):
            return frozenset()
        found: set[tuple[str, str | None]] = set()
        for entry in raw:
            if isinstance(entry, str) and entry:
                slug, _, role = entry.partition(":")
                found.add((slug, role or None))
        return frozenset(found)

    async def _key(self, kid: str) -> Any:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and self._may_refresh():
                await self._refresh()
        if kid not in self._keys:
            raise InvalidToken("The token was signed by a key the identity provider does not list.")
        return self._keys[kid]

    def _may_refresh(self) -> bool:
        return time.monotonic() - self._fetched_at >= self._settings.jwks_min_refresh_s

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            url = self._jwks_url or await self._discover()
            document = await self._get_json(url)
        except (httpx.HTTPError, OidcError, ValueError) as exc:
            log.warning("oidc.jwks_unavailable", issuer=self.issuer, error=str(exc))
            return  # keep the keys we had; verification of unknown kids fails closed
        keys = {}
        for jwk in document.get("keys", []):
            try:
                keys[str(jwk["kid"])] = jwt.PyJWK(jwk).key
            except (KeyError, jwt.PyJWKError) as exc:
                log.warning("oidc.jwk_skipped", issuer=self.issuer, error=str(exc))
        self._keys = keys

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document, fetched once (endpoints rarely move; a restart
        picks up a change)."""
        if self._metadata is None:
            self._metadata = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        return self._metadata

    async def _discover(self) -> str:
        config = await self.metadata()
        url = config.get("jwks_uri")
        if not isinstance(url, str):
            raise OidcError("the discovery document has no jwks_uri")
        self._jwks_url = url
        return url

    async def _get_json(self, url: str) -> dict[str, Any]:
        self._check_url(url)
        response = await self._http.get(url, headers={"Accept": "application/json"})
        return self._json(url, response)

    async def post_form(
        self, url: str, form: dict[str, str], auth: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a form to one of the issuer's endpoints (its token endpoint) and read the
        JSON object it answers, under the same timeout and https rule as the JWKS."""
        self._check_url(url)
        response = await self._http.post(
            url,
            data=form,
            auth=httpx.BasicAuth(*auth) if auth is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
        )
        return self._json(url, response)

    def _json(self, url: str, response: httpx.Response) -> dict[str, Any]:
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise OidcError(f"{url} did not answer a JSON object")
        return document

    async def close(self) -> None:
        await self._http.aclose()


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
