"""Administration from the command line (``signoff admin ...``), for servers with closed
signup: the same services as the API, run in one transaction, recorded in the audit log."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from signoff.accounts.runtime import AccountsRuntime
from signoff.accounts.service import UserService
from signoff.audit.service import append as audit_append
from signoff.core.clock import SystemClock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.events import EventContext, EventRecorder
from signoff.core.pagination import CursorCodec
from signoff.orgs.repository import OrgRepository
from signoff.orgs.service import OrgService


@dataclass
class AdminContext:
    session: AsyncSession
    runtime: AccountsRuntime
    users: UserService
    orgs: OrgService


@asynccontextmanager
async def admin_context(settings: Settings) -> AsyncIterator[AdminContext]:
    db = Database.from_settings(settings.database)
    runtime = AccountsRuntime.from_settings(settings)
    clock = SystemClock()
    try:
        async with db.session() as session:
            events = EventRecorder(
                session,
                clock,
                listeners=(audit_append,),
                context=EventContext(actor=f"cli:{getpass.getuser()}"),
            )
            users = runtime.users(session, events, clock)
            cursors = CursorCodec(settings.secret_key.get_secret_value())
            orgs = OrgService(OrgRepository(session, cursors), users, events, clock)
            yield AdminContext(session, runtime, users, orgs)
            await session.commit()
    finally:
        await runtime.close()
        await db.dispose()


async def create_user(settings: Settings, email: str, name: str, password: str) -> str:
    async with admin_context(settings) as ctx:
        user = await ctx.users.create(email, password, name)
        return f"created user {user.email} ({user.id})"


async def create_org(settings: Settings, slug: str, name: str, owner_email: str) -> str:
    async with admin_context(settings) as ctx:
        owner = await ctx.users.by_email(owner_email)
        if owner is None:
            raise LookupError(f"no user with the email {owner_email}")
        org = await ctx.orgs.create(owner.id, name, slug)
        return f"created organization {org.slug} ({org.id}) owned by {owner.email}"


async def rotate_keys(settings: Settings) -> str:
    async with admin_context(settings) as ctx:
        kid = await ctx.runtime.keys.rotate(ctx.session, SystemClock().now())
        return f"signing with the new key {kid}; the previous one stays valid for its tokens"
