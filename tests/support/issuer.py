"""A real OpenID Connect issuer on loopback: discovery, a JWKS, tokens it signs, and the
authorization code flow with PKCE (an authorize endpoint that signs in ``login_claims`` at
once, and a token endpoint that checks the code, the redirect URI, the client and the
S256 verifier before it answers an id_token)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


class Issuer:
    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.jwks_fetches = 0
        self.url = ""
        self.client_id = "signoff-test"
        # Who signs in at the authorize endpoint, and what the id_token says beyond that
        # (a test sets e.g. {"aud": "someone-else"} or {"nonce": "forged"}).
        self.login_claims: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.token_auth: list[str | None] = []  # the Authorization header of each
        self.rotate()

    def rotate(self) -> str:
        kid = uuid.uuid4().hex
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        self.current = kid
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            keys.append(jwk | {"kid": kid, "alg": "ES256", "use": "sig"})
        return {"keys": keys}

    def token(self, audience: str = "signoff-test", kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.url,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "sub": "alice-sub",
            "email": "alice@idp.example",
            "email_verified": True,
            "name": "Alice",
        } | claims
        kid = kid or self.current
        return jwt.encode(body, self.keys[kid], algorithm="ES256", headers={"kid": kid})

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes after signing in: the client's redirect URI with a code."""
        assert query["response_type"] == "code"
        assert query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def redeem(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        asked = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if (
            asked is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != asked["redirect_uri"]
            or form.get("client_id") != asked["client_id"]
            or challenge.decode() != asked["code_challenge"]
        ):
            return 400, {"error": "invalid_grant"}
        claims = {"nonce": asked["nonce"], **self.login_claims}
        audience = str(claims.pop("aud", self.client_id))
        return 200, {
            "access_token": "opaque",
            "token_type": "Bearer",
            "id_token": self.token(audience, **claims),
        }


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {
                    "issuer": issuer.url,
                    "jwks_uri": issuer.url + "/jwks",
                    "authorization_endpoint": issuer.url + "/authorize",
                    "token_endpoint": issuer.url + "/token",
                }
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self.send_response(302)
                self.send_header("Location", issuer.authorize(query))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif self.path == "/jwks":
                issuer.jwks_fetches += 1
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            self._answer(200, body)

        def do_POST(self) -> None:
            if self.path != "/token":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            issuer.token_auth.append(self.headers.get("Authorization"))
            self._answer(*issuer.redeem(form))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_issuer() -> Iterator[tuple[Issuer, ThreadingHTTPServer]]:
    issuer = Issuer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer, server
    finally:
        server.shutdown()
        server.server_close()
