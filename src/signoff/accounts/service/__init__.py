"""The identity domain's use cases: users, credentials, token grants."""

from signoff.accounts.service.credentials import CredentialService, IssuedSecret
from signoff.accounts.service.grants import GrantService, TokenResponse
from signoff.accounts.service.users import UserService, normalize_email

__all__ = [
    "CredentialService",
    "GrantService",
    "IssuedSecret",
    "TokenResponse",
    "UserService",
    "normalize_email",
]
