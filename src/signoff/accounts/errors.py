"""Errors of the identity domain. OAuth errors also carry RFC 6749's ``error`` member."""

from __future__ import annotations

from typing import Any

from signoff.core.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableError,
)


class OAuthError(BadRequestError):
    """RFC 6749 §5.2 errors as problem details: ``error`` and ``error_description`` are
    included so OAuth client libraries read them where they expect them."""

    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        detail = detail or self.title
        super().__init__(detail, error=self.oauth_error, error_description=detail, **kw)


class InvalidGrant(OAuthError):
    code = "invalid_grant"
    title = "The credentials or grant are not valid"
    oauth_error = "invalid_grant"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"
    title = "This grant type is not supported"
    oauth_error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    code = "invalid_scope"
    title = "A requested scope is unknown or not allowed"
    oauth_error = "invalid_scope"


class InvalidClient(UnauthorizedError):
    code = "invalid_client"
    title = "Client authentication failed"

    def __init__(self, detail: str | None = None) -> None:
        detail = detail or self.title
        super().__init__(detail, error="invalid_client", error_description=detail)


class InvalidToken(UnauthorizedError):
    code = "invalid_token"
    title = "The access token is not valid"


class SessionRevoked(InvalidToken):
    code = "session_revoked"
    title = "The session of this access token was signed out or revoked"


class NoSession(BadRequestError):
    code = "no_session"
    title = "These credentials have no sign-in session to end"


class EmailTaken(ConflictError):
    code = "email_taken"
    title = "An account with this email exists"


class WeakPassword(UnprocessableError):
    code = "weak_password"
    title = "The password is too weak"


class SignupClosed(ForbiddenError):
    code = "signup_closed"
    title = "Signup is closed on this server"


class UserNotFound(NotFoundError):
    code = "user_not_found"
    title = "No such user"


class CredentialNotFound(NotFoundError):
    code = "credential_not_found"
    title = "No such API key or service account"


class InvalidExpiry(UnprocessableError):
    code = "invalid_expiry"
    title = "The expiry is not in the future"


class ExternalSignInFailed(UnauthorizedError):
    code = "external_sign_in_failed"
    title = "The sign-in with the identity provider did not complete"


class IdentityProviderUnavailable(ServiceUnavailableError):
    code = "identity_provider_unavailable"
    title = "The identity provider cannot be reached"
