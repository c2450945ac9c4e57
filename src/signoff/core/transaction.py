"""One request is one transaction, committed before the response is sent.

``TransactionalRoute`` wraps every route handler: the handler (dependencies, endpoint and
response serialization) runs, then the unit of work commits, and only then does the response
leave. A failed commit therefore becomes an error response instead of a success the client
saw for a change that never happened. This module and the worker are the only places that
commit; everything else may ``flush()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from signoff.core.db import Database, DatabaseUnavailableError, classify_db_error
from signoff.core.errors import SignoffError
from signoff.core.logging import get_logger

log = get_logger("signoff.transaction")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

BeforeCommit = Callable[[AsyncSession, Response], Awaitable[None]]


class UnitOfWork:
    """A lazily opened session: requests that never touch the database never open one."""

    def __init__(self, db: Database, *, read_only: bool, primary: bool = False) -> None:
        self._db = db
        self.read_only = read_only
        # A reading request's engine, chosen as it starts (core/replica.py).
        self.on_replica = read_only and not primary and db.reads_replica
        self._session: AsyncSession | None = None
        self._before_commit: list[BeforeCommit] = []

    def session(self) -> AsyncSession:
        if self._session is None:
            primary = not self.on_replica
            self._session = self._db.session(read_only=self.read_only, primary=primary)
        return self._session

    @asynccontextmanager
    async def side_write(self) -> AsyncIterator[AsyncSession]:
        """A session for a small write made while reading (a credential's last use, a user
        provisioned at first sign-in). In a writing request it is the request's own session;
        in a reading one, a separate primary session committed at once, so the write works
        with a read replica and never waits on the request's own transaction."""
        if not self.read_only:
            yield self.session()
            return
        async with self._db.session() as session:
            yield session
            await session.commit()

    async def end_reads(self) -> None:
        """End a reading request's transaction before slow work that needs no database (a
        PDF takes seconds to lay out): its connection goes back to the pool instead of
        idling in a transaction. A query after this would open a new session."""
        if not self.read_only:
            raise RuntimeError("only a reading request may end its transaction early")
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.commit()  # it wrote nothing: this only ends the transaction
        finally:
            await session.close()

    def before_commit(self, hook: BeforeCommit) -> None:
        """Run ``hook`` with the finished response inside the transaction, just before commit."""
        self._before_commit.append(hook)

    async def commit(self, response: Response | None) -> None:
        """Commit; ``response`` is given to before-commit hooks (None when answering an error
        whose changes are kept, which hooks such as idempotency must not store)."""
        if self._session is None:
            return
        if response is not None:
            for hook in self._before_commit:
                await hook(self._session, response)
        try:
            await self._session.commit()
        except Exception as exc:
            # Constraints are checked at commit for rows flushed late: on a race the loser
            # learns it here, and must hear "retry", not "internal error".
            mapped = classify_db_error(exc, at_commit=True)
            if mapped is None:
                raise
            raise mapped from exc

    async def close(self, *, rollback: bool) -> None:
        if self._session is None:
            return
        try:
            if rollback:
                await self._session.rollback()
            await self._session.close()
        except Exception as exc:
            # The request has its answer already (often: the database went away). A rollback
            # that fails on a dead connection must not replace it with a 500; the pool
            # discards that connection.
            if classify_db_error(exc) is None:
                raise
            log.warning("transaction.close_failed", error=type(exc).__name__)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class TransactionalRoute(APIRoute):
    def solved_handler(self) -> Handler:
        """What runs inside the transaction: FastAPI's handler (dependencies solved, the
        endpoint called, its result serialized)."""
        return super().get_route_handler()

    def get_route_handler(self) -> Handler:
        handler = self.solved_handler()

        async def run_in_transaction(request: Request) -> Response:
            db = _database(request)
            read_only = request.method in SAFE_METHODS
            if read_only and db.gate is not None:
                await db.gate.before_read()
                if db.reads_replica:
                    try:
                        return await run(request, UnitOfWork(db, read_only=True))
                    except Exception as exc:
                        if not _replica_failed(exc):
                            raise
                        # Reads are safe to run again: once, on the primary (design §14.6).
                        db.gate.lost()
                        log.warning("transaction.replica_failed", error=type(exc).__name__)
                    return await run(request, UnitOfWork(db, read_only=True, primary=True))
            return await run(request, UnitOfWork(db, read_only=read_only))

        async def run(request: Request, uow: UnitOfWork) -> Response:
            request.state.uow = uow
            failed = True
            try:
                response = await handler(request)
                if response.status_code < 400:
                    await uow.commit(response)
                    failed = False
            except SignoffError as exc:
                if exc.keep_changes:
                    await uow.commit(None)
                    failed = False
                raise
            finally:
                await uow.close(rollback=failed)
            return response

        return run_in_transaction


def _replica_failed(exc: BaseException) -> bool:
    """Whether the replica could not be reached or went away (not a slow query: that would
    be as slow on the primary)."""
    mapped = classify_db_error(exc)
    if not isinstance(mapped, DatabaseUnavailableError):
        return False
    return mapped.reason not in {"statement_timeout", "pool_timeout", "too_many_clients"}


def unit_of_work(request: Request) -> UnitOfWork:
    uow = getattr(request.state, "uow", None)
    if not isinstance(uow, UnitOfWork):
        raise RuntimeError(f"{request.url.path} is not served by a TransactionalRoute")
    return uow


# Dependencies are coroutines: FastAPI runs a plain function in the thread pool, a hop that
# cost more than the whole of what these do (issue 16).
async def get_session(request: Request) -> AsyncSession:
    return unit_of_work(request).session()


async def get_unit_of_work(request: Request) -> UnitOfWork:
    return unit_of_work(request)


DbSession = Annotated[AsyncSession, Depends(get_session)]
UoW = Annotated[UnitOfWork, Depends(get_unit_of_work)]


def _database(request: Request) -> Database:
    # Not through ``core.services``, which names the unit of work's type (the
    # authenticator's): the services' database, checked by its type.
    db = request.app.state.services.db
    assert isinstance(db, Database)
    return db
