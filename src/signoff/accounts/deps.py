"""FastAPI wiring of the identity domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from signoff.accounts.repository import AccountRepository
from signoff.accounts.runtime import AccountsRuntime
from signoff.accounts.service import CredentialService, GrantService, UserService
from signoff.core.services import Services
from signoff.core.transaction import DbSession
from signoff.core.web import ClockDep, Events


async def get_runtime(request: Request) -> AccountsRuntime:
    runtime: AccountsRuntime = Services.of(request.app).part(AccountsRuntime)
    return runtime


Runtime = Annotated[AccountsRuntime, Depends(get_runtime)]


async def get_repository(session: DbSession) -> AccountRepository:
    return AccountRepository(session)


Repo = Annotated[AccountRepository, Depends(get_repository)]


async def get_users(
    session: DbSession, runtime: Runtime, events: Events, clock: ClockDep
) -> UserService:
    return runtime.users(session, events, clock)


async def get_credentials(
    request: Request, repo: Repo, runtime: Runtime, events: Events, clock: ClockDep
) -> CredentialService:
    return CredentialService(repo, events, clock, runtime.secret, Services.of(request.app).cursors)


UserServiceDep = Annotated[UserService, Depends(get_users)]
CredentialServiceDep = Annotated[CredentialService, Depends(get_credentials)]


async def get_grants(
    session: DbSession,
    users: UserServiceDep,
    credentials: CredentialServiceDep,
    runtime: Runtime,
    events: Events,
    clock: ClockDep,
) -> GrantService:
    return GrantService(session, users, credentials, runtime.access, runtime.refresh, events, clock)


GrantServiceDep = Annotated[GrantService, Depends(get_grants)]
