"""Browser sessions of the web UI: started at sign-in, ended by sign-out, revocation or time.

The cookie carries a random token; only its SHA-256 is stored, so a copy of the database
signs nobody in. A session is checked on every page: revoked, idle too long, or older than
the absolute limit, it is over.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.events import SignedOut
from signoff.accounts.models import User, WebSession
from signoff.core.clock import Clock
from signoff.core.events import EventRecorder

# A page seen within this long of the last one does not write last_seen_at again: reads stay
# reads, and the idle timeout is exact to a minute.
TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    user_email: str
    token_hash: str
    stale: bool  # last_seen_at is due a refresh


class WebSessionService:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        events: EventRecorder,
        *,
        idle: timedelta,
        absolute: timedelta,
    ) -> None:
        self._session = session
        self._clock = clock
        self._events = events
        self._idle = idle
        self._absolute = absolute

    async def start(self, user_id: uuid.UUID, replacing: str | None) -> str:
        """A new session for the user; the browser's previous one, if any, ends (a session id
        known before sign-in is never the one signed in: no fixation)."""
        if replacing is not None:
            await self.end(replacing)
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        self._session.add(
            WebSession(
                token_hash=token_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
            )
        )
        await self._session.flush()
        return token

    async def resolve(self, token: str) -> ActiveSession | None:
        """The live session behind a cookie, or None (unknown, revoked, idle or too old)."""
        row = (
            await self._session.execute(
                select(WebSession, User.name, User.email, User.disabled_at)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == token_hash(token))
            )
        ).one_or_none()
        if row is None:
            return None
        ws, name, email, disabled_at = row
        now = self._clock.now()
        if (
            ws.revoked_at is not None
            or disabled_at is not None
            or now - ws.last_seen_at > self._idle
            or now - ws.created_at > self._absolute
        ):
            return None
        return ActiveSession(
            ws.id, ws.user_id, name, email, ws.token_hash, now - ws.last_seen_at > TOUCH_EVERY
        )

    async def touch(self, active: ActiveSession) -> None:
        await self._session.execute(
            update(WebSession)
            .where(WebSession.id == active.id)
            .values(last_seen_at=self._clock.now())
        )

    async def end(self, token: str) -> None:
        """Sign-out: the session is revoked at once (its cookie no longer signs in)."""
        now = self._clock.now()
        ended = await self._session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(WebSession.user_id, WebSession.id)
        )
        row = ended.one_or_none()
        if row is not None:
            await self._events.emit(
                SignedOut(
                    org_id=None,
                    subject=f"users/{row[0]}",
                    user_id=row[0],
                    web_session_id=row[1],
                )
            )

    async def revoke_all(self, user_id: uuid.UUID) -> int:
        """End every browser session of a user (a stolen laptop, a password change)."""
        result = await self._session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=self._clock.now())
            .returning(WebSession.id)
        )
        return len(result.all())
