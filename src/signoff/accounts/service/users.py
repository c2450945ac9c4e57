"""Users: creation, password sign-in (throttled, timing-safe), external identities."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from signoff.accounts.errors import EmailTaken, InvalidGrant, UserNotFound, WeakPassword
from signoff.accounts.events import (
    IdentityLinked,
    LoginFailed,
    LoginSucceeded,
    SignupRefused,
    UserCreated,
)
from signoff.accounts.models import ExternalIdentity, User
from signoff.accounts.oidc import ExternalIdentityClaims
from signoff.accounts.passwords import Passwords
from signoff.accounts.repository import AccountRepository
from signoff.accounts.throttle import LoginThrottle
from signoff.core.clock import Clock
from signoff.core.errors import UnauthorizedError, UnprocessableError
from signoff.core.events import EventRecorder
from signoff.core.security import Signer


class InvalidCredentials(InvalidGrant):
    title = "The email or password is not correct"
    keep_changes = True  # the failed attempt stays in the audit log


class InvalidEmail(UnprocessableError):
    code = "invalid_email"
    title = "The email address is not valid"


def normalize_email(email: str) -> str:
    """One spelling per mailbox: NFKC, trimmed, lower case, syntax checked (no DNS)."""
    text = unicodedata.normalize("NFKC", email).strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc), errors=[{"pointer": "/email", "detail": str(exc)}]) from exc
    return checked.normalized.lower()


class UserService:
    def __init__(
        self,
        repo: AccountRepository,
        passwords: Passwords,
        throttle: LoginThrottle,
        events: EventRecorder,
        clock: Clock,
        secret: str,
    ) -> None:
        self._repo = repo
        self._passwords = passwords
        self._throttle = throttle
        self._events = events
        self._clock = clock
        self._addresses = Signer(secret, "login-address")

    async def create(self, email: str, password: str | None, name: str) -> User:
        email = normalize_email(email)
        if password is not None:
            problems = self._passwords.problems(password, email=email, name=name)
            if problems:
                detail = "The password " + "; ".join(problems) + "."
                raise WeakPassword(detail, errors=[{"pointer": "/password", "detail": detail}])
        if await self._repo.user_by_email(email) is not None:
            raise EmailTaken(f"An account for {email} exists.")
        now = self._clock.now()
        user = User(
            email=email,
            name=name.strip(),
            created_at=now,
            updated_at=now,
            password_hash=await self._passwords.hash(password) if password else None,
        )
        try:
            await self._repo.add(user)
        except IntegrityError as exc:  # a concurrent signup with the same email won
            raise EmailTaken(f"An account for {email} exists.") from exc
        await self._events.emit(
            UserCreated(org_id=None, subject=f"users/{user.id}", user_id=user.id)
        )
        return user

    async def sign_up(self, email: str, password: str, name: str) -> User | None:
        """The account a sign-up is for: a new one, or the existing one when the password is
        its password; None when the email belongs to someone else. Takes about the same
        time in each case (one Argon2 hash or verification), and refuses a weak password or
        a malformed email first, for every email alike."""
        email = normalize_email(email)
        problems = self._passwords.problems(password, email=email, name=name)
        if problems:
            detail = "The password " + "; ".join(problems) + "."
            raise WeakPassword(detail, errors=[{"pointer": "/password", "detail": detail}])
        existing = await self._repo.user_by_email(email)
        if existing is None:
            try:
                return await self.create(email, password, name)
            except EmailTaken:
                return None  # a concurrent sign-up with the same email won
        usable = existing.password_hash if existing.disabled_at is None else None
        if await self._passwords.verify(usable, password):
            return existing
        await self._events.emit(
            SignupRefused(org_id=None, subject=f"users/{existing.id}", user_id=existing.id)
        )
        return None

    async def get(self, user_id: uuid.UUID) -> User:
        user = await self._repo.user(user_id)
        if user is None or user.disabled_at is not None:
            raise UserNotFound()
        return user

    async def by_email(self, email: str) -> User | None:
        return await self._repo.user_by_email(normalize_email(email))

    async def many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
        return {u.id: u for u in await self._repo.users(ids)}

    async def sign_in(self, email: str, password: str, address: str | None) -> User:
        """Check a password, throttled before any hashing; unknown email and wrong password
        answer the same way in the same time."""
        try:
            email = normalize_email(email)
        except InvalidEmail:
            email = email.strip().lower()
        user = await self._repo.user_by_email(email)
        address_hash = self._addresses.sign((address or "").encode())
        known = user is not None and await self._repo.known_address(user.id, address_hash)
        await self._throttle.check(email, address, known_address=known)
        stored = user.password_hash if user is not None and user.disabled_at is None else None
        if not await self._passwords.verify(stored, password):
            await self._throttle.failed(email, address)
            await self._record_failure(user)
            raise InvalidCredentials()
        assert user is not None
        if self._passwords.needs_rehash(stored or ""):
            user.password_hash = await self._passwords.hash(password)
        await self._repo.remember_address(user.id, address_hash, self._clock.now())
        await self._throttle.succeeded(email, address)
        await self._events.emit(
            LoginSucceeded(org_id=None, subject=f"users/{user.id}", user_id=user.id)
        )
        return user

    async def _record_failure(self, user: User | None) -> None:
        # What was typed is not recorded for unknown accounts: it is often a password
        # entered in the wrong field.
        subject = f"users/{user.id}" if user else "users/unknown"
        await self._events.emit(
            LoginFailed(org_id=None, subject=subject, user_id=user.id if user else None)
        )

    async def sign_in_external(self, claims: ExternalIdentityClaims) -> User:
        """A browser's sign-in with the identity provider: the user behind the verified
        id_token, as for the provider's API tokens, and the sign-in in the audit log."""
        user = await self.from_external(claims)
        signed_in = LoginSucceeded(
            org_id=None,
            subject=f"users/{user.id}",
            user_id=user.id,
            method="oidc",
            issuer=claims.issuer,
        )
        await self._events.emit(signed_in)
        return user

    async def from_external(self, claims: ExternalIdentityClaims) -> User:
        """The user behind an external identity: linked before, linked now by verified
        email, or created."""
        now = self._clock.now()
        link = await self._repo.external_identity(claims.issuer, claims.subject)
        if link is not None:
            link.last_seen_at = now
            return await self.get(link.user_id)
        if claims.email is None:
            raise UnauthorizedError("The identity provider's token carries no email.")
        user = await self._repo.user_by_email(normalize_email(claims.email))
        if user is not None and not claims.email_verified:
            # Linking on an unverified email would hand this account to whoever typed it.
            raise UnauthorizedError("The email is not verified by the identity provider.")
        if user is None:
            user = await self.create(claims.email, None, claims.name or claims.email)
        await self._repo.add(
            ExternalIdentity(
                user_id=user.id,
                issuer=claims.issuer,
                subject=claims.subject,
                created_at=now,
                last_seen_at=now,
            )
        )
        await self._events.emit(
            IdentityLinked(
                org_id=None, subject=f"users/{user.id}", user_id=user.id, issuer=claims.issuer
            )
        )
        return user
