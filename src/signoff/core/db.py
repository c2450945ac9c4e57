"""Engines, sessions and the declarative base.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) is the production database.
The URL decides. An optional read replica serves read-only requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import CheckConstraint, Index, MetaData, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

from signoff.core.config import DatabaseSettings
from signoff.core.errors import (
    ConflictError,
    ServiceUnavailableError,
    SignoffError,
    UnprocessableError,
)
from signoff.core.replica import ReplicaGate

# Constraint names must be deterministic, or Alembic cannot drop or alter them later
# (SQLite batch mode recreates tables and needs every constraint named).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of only the rows that match ``where`` (a queue's pending rows), on both
    backends alike: PostgreSQL and SQLite each take the same predicate."""
    predicate = text(where)
    return Index(name, *columns, unique=unique, postgresql_where=predicate, sqlite_where=predicate)


def upsert_into(session: AsyncSession, model: type[Any]) -> Any:
    """An INSERT of ``model`` with ``on_conflict_do_nothing``/``do_update`` in the session's
    dialect (PostgreSQL and SQLite spell them alike): for rows that concurrent requests may
    both create, where a read-then-insert would make the second one fail."""
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def one_of(column: str, values: tuple[str, ...], *, name: str) -> CheckConstraint:
    """A state column's allowed values, checked by the database as well as by the code."""
    return CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


T = TypeVar("T")


class Transact(Protocol):
    """Runs ``work`` in a transaction of its own and commits it.

    The worker's unit of work (``signoff.runtime.worker.Transactions``): background code (the relay,
    webhook deliveries) is handed one and never commits by itself.
    """

    async def __call__(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T: ...


def create_engine(url: str, settings: DatabaseSettings) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, settings)
    elif url.startswith("postgresql"):
        engine = _postgres_engine(url, settings)
    else:
        raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]!r}")
    event.listen(engine.sync_engine, "handle_error", _values_the_driver_refused)
    return engine


def _values_the_driver_refused(context: ExceptionContext) -> BaseException | None:
    """sqlite3 refuses an integer over 64 bits, and text with a lone surrogate, with plain
    ``OverflowError`` and ``UnicodeEncodeError`` that SQLAlchemy passes through unwrapped;
    make them the ``DataError`` they are (asyncpg's equivalents already are one)."""
    original = context.original_exception
    if context.sqlalchemy_exception is None and isinstance(
        original, OverflowError | UnicodeEncodeError
    ):
        return DataError(context.statement, context.parameters, original, hide_parameters=True)
    return None


def _sqlite_engine(url: str, settings: DatabaseSettings) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_s,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )
    busy_ms = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # pysqlite's implicit transactions break SAVEPOINT and SERIALIZABLE semantics;
        # SQLAlchemy's documented fix is to take control of BEGIN ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={int(busy_ms)}",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads then writes can fail with SQLITE_BUSY without
        # waiting when another writer got there first; writers take the lock up front.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgres_engine(url: str, settings: DatabaseSettings) -> AsyncEngine:
    return create_async_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_s,
        # No pre-ping: it was a round trip on every checkout (issue 16). A connection the
        # server dropped fails its first statement, SQLAlchemy invalidates it (the pool
        # drops it and those checked in with it), and the request answers 503 with
        # Retry-After (classify_db_error); recycling keeps connections younger than server
        # and proxy idle timeouts.
        pool_recycle=1800,
        connect_args={
            "timeout": settings.connect_timeout_s,
            "server_settings": {
                "application_name": "signoff",
                "timezone": "UTC",
                "statement_timeout": str(settings.statement_timeout_ms),
                "idle_in_transaction_session_timeout": str(
                    max(settings.statement_timeout_ms * 2, 60_000)
                ),
            },
        },
    )


@dataclass
class Database:
    """The primary engine, an optional replica, and the session factories bound to them."""

    primary: AsyncEngine | AsyncConnection
    replica: AsyncEngine | AsyncConnection | None = None
    owns_engines: bool = True
    # Whether reads may go to the replica now (core/replica.py); without one, they always do.
    gate: ReplicaGate | None = None

    def __post_init__(self) -> None:
        self._writer = _sessionmaker(_writer_bind(self.primary))
        self._primary_reader = _sessionmaker(self.primary)
        self._reader = _sessionmaker(self.replica) if self.replica is not None else None

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        primary = create_engine(settings.url.get_secret_value(), settings)
        if settings.replica_url is None:
            return cls(primary=primary)
        replica = create_engine(settings.replica_url.get_secret_value(), settings)
        gate = ReplicaGate(
            primary,
            replica,
            max_lag_s=settings.replica_max_lag_s,
            check_s=settings.replica_check_s,
        )
        return cls(primary=primary, replica=replica, gate=gate)

    @classmethod
    def bound_to(cls, connection: AsyncConnection) -> Database:
        """Sessions that run inside the caller's transaction, as savepoints (for tests)."""
        return cls(primary=connection, owns_engines=False)

    @property
    def dialect(self) -> str:
        return self.primary.dialect.name

    @property
    def reads_replica(self) -> bool:
        """Whether a reading session made now is the replica's."""
        return self._reader is not None and (self.gate is None or self.gate.usable)

    def session(self, *, read_only: bool = False, primary: bool = False) -> AsyncSession:
        """A writing session, or a reading one: the replica's while it is usable, else (or
        when ``primary``) the primary's."""
        if not read_only:
            return self._writer()
        if self._reader is not None and not primary and self.reads_replica:
            return self._reader()
        return self._primary_reader()

    def engines(self) -> list[tuple[str, AsyncEngine]]:
        named = [("primary", self.primary), ("replica", self.replica)]
        return [(name, e) for name, e in named if isinstance(e, AsyncEngine)]

    async def ping(self, *, replica: bool = False) -> None:
        target = self.replica if replica and self.replica is not None else self.primary
        if isinstance(target, AsyncConnection):
            await target.execute(text("SELECT 1"))
            return
        async with target.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @asynccontextmanager
    async def primary_connection(self) -> AsyncIterator[AsyncConnection]:
        """A plain connection to the primary, for reads that must not lag behind a replica
        and must not take SQLite's write lock (metrics gauges)."""
        if isinstance(self.primary, AsyncConnection):
            yield self.primary
            return
        async with self.primary.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        if self.owns_engines:
            for _, engine in self.engines():
                await engine.dispose()


def _writer_bind(bind: AsyncEngine | AsyncConnection) -> AsyncEngine | AsyncConnection:
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite":
        return bind.execution_options(sqlite_begin="IMMEDIATE")
    return bind


def _sessionmaker(bind: AsyncEngine | AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


class ConcurrentUpdateError(ConflictError):
    code = "concurrent_update"
    title = "Another request changed the same data at the same time; retry"


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database cannot serve the request now; ``reason`` says why, for the metrics and
    the logs (``refused``, ``connection_lost``, ``too_many_clients``, ``pool_timeout``...)."""

    code = "database_unavailable"
    title = "The database is unavailable"

    def __init__(self, reason: str, *, retry_after_s: int = 5, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})
        self.reason = reason


class DatabaseBusyError(DatabaseUnavailableError):
    code = "database_busy"
    title = "Every database connection is in use; retry"


class DatabaseTimeoutError(DatabaseUnavailableError):
    code = "database_timeout"
    title = "The database did not answer in time"


class ValueNotStorableError(UnprocessableError):
    """What the edge checks (``core.inputs``) should have refused, refused by the database
    itself: a 422, never a 500."""

    code = "value_not_storable"
    title = "A value in the request cannot be stored"


# SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available, unique_violation;
# query_canceled (statement timeout); too_many_connections; admin_shutdown, crash_shutdown,
# cannot_connect_now (the server is stopping or starting).
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "23505"})
_TIMEOUT_SQLSTATES = frozenset({"57014"})
_TOO_MANY_SQLSTATES = frozenset({"53300", "53000"})
_GOING_AWAY_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# SQLite's file cannot be opened or read: its "outage".
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error")
# Modules whose frames mark an exception as raised on the way to or from the database.
_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3.")


def classify_db_error(exc: BaseException, *, at_commit: bool = False) -> SignoffError | None:
    """The client-facing meaning of a database failure, or None when it is not one (a bug:
    a 500). Takes any exception: drivers raise plain ``OSError`` (a refused connection) and
    their own classes (a connect-time refusal) that SQLAlchemy does not wrap."""
    if isinstance(exc, PoolTimeoutError):
        return DatabaseBusyError("pool_timeout", retry_after_s=1)
    if isinstance(exc, DBAPIError):
        return _classify_dbapi(exc, at_commit=at_commit)
    if not _raised_by_database(exc):
        return None
    return _classify_driver(exc)


def _classify_dbapi(exc: DBAPIError, *, at_commit: bool) -> SignoffError | None:
    retry = {"Retry-After": "1"}
    sqlstate = _sqlstate(exc.orig) or _sqlstate(getattr(exc.orig, "__cause__", None))
    message = str(exc.orig).lower()
    # A unique violation that no service anticipated is two requests racing to create the
    # same thing: the loser may retry. (Foreign-key and check violations stay bugs: 500.)
    unique = "unique constraint failed" in message
    if sqlstate in _RETRYABLE_SQLSTATES or unique or "database is locked" in message:
        return ConcurrentUpdateError(headers=retry)
    if at_commit and isinstance(exc, IntegrityError):
        return ConcurrentUpdateError(headers=retry)
    if sqlstate in _TIMEOUT_SQLSTATES:
        return DatabaseTimeoutError("statement_timeout", retry_after_s=1)
    # Class 22, data exception: a number out of range, a NUL in text, a bad encoding.
    if isinstance(exc, DataError) or (sqlstate or "").startswith("22"):
        return ValueNotStorableError(
            "A number in the request is out of range, or its text holds a character that "
            "cannot be stored."
        )
    by_state = _classify_sqlstate(sqlstate)
    if by_state is not None:
        return by_state
    if any(sign in message for sign in _SQLITE_UNAVAILABLE):
        return DatabaseUnavailableError("unavailable")
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return DatabaseUnavailableError("connection_lost")
    cause = exc.orig.__cause__ if exc.orig is not None else None
    if isinstance(exc.orig, OSError) or isinstance(cause, OSError):
        return _classify_os_error(exc.orig if isinstance(exc.orig, OSError) else cause)
    if (
        "connection" in type(exc.orig).__name__.lower()
        or "connection" in type(cause).__name__.lower()
    ):
        return DatabaseUnavailableError("connection_lost")
    return None


def _classify_sqlstate(sqlstate: str | None) -> SignoffError | None:
    if sqlstate in _TOO_MANY_SQLSTATES:
        return DatabaseUnavailableError("too_many_clients", retry_after_s=2)
    if sqlstate in _GOING_AWAY_SQLSTATES:
        return DatabaseUnavailableError("server_going_away")
    if sqlstate is not None and sqlstate.startswith("08"):  # connection_exception
        return DatabaseUnavailableError("connection_lost")
    return None


def _classify_driver(exc: BaseException) -> SignoffError | None:
    for link in _chain(exc):
        if isinstance(link, OSError):
            return _classify_os_error(link)
        by_state = _classify_sqlstate(_sqlstate(link))
        if by_state is not None:
            return by_state
        if "connection" in type(link).__name__.lower() or type(link).__name__ == "InterfaceError":
            return DatabaseUnavailableError("connection_lost")
    return None


def _classify_os_error(exc: BaseException | None) -> SignoffError:
    if isinstance(exc, ConnectionRefusedError):
        return DatabaseUnavailableError("refused")
    if isinstance(exc, TimeoutError):
        return DatabaseTimeoutError("connect_timeout")
    return DatabaseUnavailableError("connection_lost")


def _sqlstate(exc: BaseException | None) -> str | None:
    value = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return value if isinstance(value, str) else None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen and len(seen) < 10:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def _raised_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` came out of SQLAlchemy or a database driver (its innermost frames)."""
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return any(
        isinstance(link, DBAPIError) or type(link).__module__.startswith(_DATABASE_MODULES)
        for link in _chain(exc)[1:]
    )
