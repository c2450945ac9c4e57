"""Before serving: can the configured database be reached and written?

Without this check a wrong URL, a closed port or a read-only SQLite file surfaced as a
traceback of 50 to 230 lines from deep inside the driver, naming neither the variable nor
the path. Here each becomes one sentence that names the variable, its value (password
masked) and what to check; the command line prints it and exits 2 (``StartupError``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

from signoff.core.config import DatabaseSettings, env_name, mask_url

URL_VARIABLE = env_name("database", "url")
TIMEOUT_VARIABLE = env_name("database", "connect_timeout_s")


class StartupError(Exception):
    """A setting the process cannot start with: the variable, and why, in one line."""

    def __init__(self, variable: str, line: str) -> None:
        super().__init__(line)
        self.variable = variable


def check_database(settings: DatabaseSettings) -> None:
    """Raise ``StartupError`` when the primary database cannot be opened for writing."""
    url = settings.url.get_secret_value()
    shown = f"{URL_VARIABLE}={mask_url(url)}"
    if settings.is_sqlite:
        problem = _sqlite_problem(url, settings)
    else:
        problem = asyncio.run(_postgres_problem(url, settings.connect_timeout_s))
    if problem is not None:
        raise StartupError(URL_VARIABLE, f"{shown}: {problem}")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or a ``file:`` URI."""
    path = url.partition("://")[2].partition("?")[0]
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return Path(unquote(path)).absolute()


def _sqlite_problem(url: str, settings: DatabaseSettings) -> str | None:
    path = sqlite_path(url)
    if path is None:
        return None
    directory = path.parent
    if not directory.is_dir():
        return f"the directory {directory} does not exist; create it or name another path"
    if path.is_dir():
        return f"{path} is a directory, not a database file"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} cannot be read and written by this user; check its permissions"
    if not path.exists() and not os.access(directory, os.W_OK | os.X_OK):
        return f"cannot create {path}: the directory {directory} is not writable"
    return _sqlite_opens(path, settings.sqlite_busy_timeout_ms / 1000)


def _sqlite_opens(path: Path, timeout_s: float) -> str | None:
    """Open the file and take the write lock for an instant, as the server will."""
    try:
        connection = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        return f"cannot open {path}: {exc}"
    try:
        connection.execute("PRAGMA schema_version")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None  # another process is writing: it can be opened, and will be
        return f"cannot write {path}: {exc}"
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a SQLite database ({exc})"
    finally:
        connection.close()
    return None


async def _postgres_problem(url: str, timeout_s: float) -> str | None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    parts = urlsplit(dsn)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    waited = f"(waited up to {timeout_s:g} s, {TIMEOUT_VARIABLE})"
    try:
        connection = await asyncpg.connect(dsn, timeout=timeout_s)
    except ConnectionRefusedError:
        return f"cannot connect to {where}: connection refused; is PostgreSQL running there?"
    except socket.gaierror:
        return f"cannot connect to {where}: the host name is not known"
    except TimeoutError:
        return f"cannot connect to {where}: no answer {waited}"
    except OSError as exc:
        return f"cannot connect to {where}: {exc.strerror or exc} {waited}"
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"PostgreSQL at {where} refused: {str(exc).splitlines()[0]}"
    await connection.close()
    return None
