"""Password hashing (argon2id, off the event loop) and the password policy."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from signoff.core.config import AuthSettings

MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a request from buying CPU by the MB


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        # OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 by default.
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self.min_length = settings.password_min_length
        # Verified against when the account does not exist, so that "no such user" and
        # "wrong password" cost the same time and cannot be told apart.
        self._decoy = self._hasher.hash("signoff-decoy-password-for-unknown-accounts")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored or self._decoy, password) and (
            stored is not None
        )

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def problems(self, password: str, *, email: str = "", name: str = "") -> list[str]:
        """Why a new password is refused (empty when it is acceptable). NIST SP 800-63B:
        length and a list of known-bad passwords, no composition rules."""
        found = []
        if len(password) < self.min_length:
            found.append(f"must be at least {self.min_length} characters")
        if len(password) > MAX_LENGTH:
            found.append(f"must be at most {MAX_LENGTH} characters")
        lowered = password.lower()
        if lowered in _common_passwords() or len(set(lowered)) <= 2:
            found.append("is one of the most common passwords")
        local = email.split("@", 1)[0].lower()
        context = [w for w in (local, *name.lower().split()) if len(w) >= 4]
        if any(w in lowered for w in context):
            found.append("must not contain your name or email")
        return found


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list: the 30,000 most frequent passwords from public breach corpora.
    return frozenset(FREQUENCY_LISTS["passwords"])
