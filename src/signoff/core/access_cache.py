"""Who the caller is and what they may do in an organization, cached in the process.

Every authenticated request used to verify its credential and load the organization and the
membership: three ORM round trips before any work. Here a credential's principal, an
organization by slug and a user's role in it are kept for a short TTL, and each entry is
also stamped with *versions*: a counter per organization and per user, bumped when a change
to memberships, roles, credentials or the organization itself commits (the event listener
below sees every such event in its transaction). An entry whose versions moved is a miss, so
a removed member or a revoked key is refused on the very next request, not after the TTL.

The versions are read *before* a miss is loaded and the entry keeps those: a change that
commits while the loading request reads the old rows leaves an entry that is already stale.

The counters live in an array shared by the worker processes of one host (an mmap'd file
that ``signoff serve --workers N`` names in ``SIGNOFF_ACCESS_VERSIONS``; an in-memory one
otherwise), so a change made through one worker is seen by all at once. Servers on several
hosts see each other's changes within the TTL (ADR 0016).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from signoff.core.events import EventContext, OutboxEvent

VERSIONS_ENV = "SIGNOFF_ACCESS_VERSIONS"
_SLOTS = 4096  # counters; organizations and users hash onto them (a collision: a spare miss)
_SLOT = struct.Struct("<Q")
# Events that change who may do what: they invalidate the organization and the user named.
_DOMAINS = ("orgs.", "credentials.", "accounts.", "users.")
_AFTER_COMMIT = "signoff.access_cache.bumps"
# A version every credential change bumps, for entries whose organization is not known
# before they are loaded (an API key's principal).
CREDENTIALS = uuid.UUID(int=0)


class Versions:
    """Counters by organization and by user id, in a shared array."""

    def __init__(self, path: str | None = None) -> None:
        size = _SLOTS * _SLOT.size
        if path is None:
            self._buffer: mmap.mmap | bytearray = bytearray(size)
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._buffer = mmap.mmap(fd, size)
        finally:
            os.close(fd)

    @staticmethod
    def _slot(kind: str, key: uuid.UUID) -> int:
        digest = hashlib.blake2b(key.bytes, digest_size=4, person=kind.encode()).digest()
        return (int.from_bytes(digest, "little") % _SLOTS) * _SLOT.size

    def of(self, kind: str, key: uuid.UUID | None) -> int:
        if key is None:
            return 0
        return int(_SLOT.unpack_from(self._buffer, self._slot(kind, key))[0])

    def bump(self, kind: str, key: uuid.UUID) -> None:
        # Two processes bumping at once may both write n + 1: the counter still moved,
        # which is all an entry's check needs.
        offset = self._slot(kind, key)
        _SLOT.pack_into(self._buffer, offset, _SLOT.unpack_from(self._buffer, offset)[0] + 1)


class _Entry:
    __slots__ = ("expires", "org_id", "stamp", "user_id", "value")

    def __init__(
        self,
        value: Any,
        org_id: uuid.UUID | None,
        user_id: uuid.UUID | None,
        stamp: tuple[int, int],
        expires: float,
    ) -> None:
        self.value = value
        self.org_id = org_id
        self.user_id = user_id
        self.stamp = stamp
        self.expires = expires


class AccessCache:
    """A bounded TTL map whose entries are stamped with the versions of the organization
    and the user they depend on; ``ttl_s=0`` turns it off."""

    def __init__(self, ttl_s: float, *, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.versions = Versions(os.environ.get(VERSIONS_ENV))
        self._max = max_entries
        self._items: OrderedDict[Hashable, _Entry] = OrderedDict()

    def stamp(self, org_id: uuid.UUID | None, user_id: uuid.UUID | None) -> tuple[int, int]:
        """The versions to store with an entry: read them before loading what it holds."""
        return self.versions.of("org", org_id), self.versions.of("user", user_id)

    def get(self, key: Hashable) -> Any | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic() or entry.stamp != self.stamp(
            entry.org_id, entry.user_id
        ):
            del self._items[key]
            return None
        return entry.value

    def put(
        self,
        key: Hashable,
        value: Any,
        stamp: tuple[int, int],
        *,
        org_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        expires: float | None = None,
    ) -> None:
        """Keep ``value`` until the TTL (or ``expires``, monotonic) or a version moves."""
        if self.ttl_s <= 0:
            return
        until = time.monotonic() + self.ttl_s
        until = until if expires is None else min(expires, until)
        self._items[key] = _Entry(value, org_id, user_id, stamp, until)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def bump(self, org_id: uuid.UUID | None, user_id: uuid.UUID | None) -> None:
        if org_id is not None:
            self.versions.bump("org", org_id)
        if user_id is not None:
            self.versions.bump("user", user_id)

    def listener(self) -> Any:
        """An event listener: a change to access bumps its versions when it commits."""

        async def on_event(session: AsyncSession, event: OutboxEvent, _: EventContext) -> None:
            if not event.type.startswith(_DOMAINS):
                return
            pending: list[tuple[uuid.UUID | None, uuid.UUID | None]] | None
            sync = session.sync_session
            pending = sync.info.get(_AFTER_COMMIT)
            if pending is None:
                pending = sync.info[_AFTER_COMMIT] = []

                def committed(_session: object) -> None:
                    for org_id, user_id in sync.info.pop(_AFTER_COMMIT, []):
                        self.bump(org_id, user_id)

                def rolled_back(_session: object, previous: Any) -> None:
                    if getattr(previous, "parent", None) is None:  # not a savepoint's
                        sync.info.pop(_AFTER_COMMIT, None)

                sa_event.listen(sync, "after_commit", committed, once=True)
                sa_event.listen(sync, "after_soft_rollback", rolled_back)
            pending.append((event.org_id, _user_of(event)))
            if event.type.startswith("credentials."):
                pending.append((CREDENTIALS, None))

        return on_event


def _user_of(event: OutboxEvent) -> uuid.UUID | None:
    raw = (event.data or {}).get("user_id")
    if raw is None and event.subject.startswith(("users/", "members/")):
        raw = event.subject.split("/", 1)[1]
    try:
        return uuid.UUID(str(raw)) if raw is not None else None
    except ValueError:
        return None
