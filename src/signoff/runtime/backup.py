"""``signoff backup`` and ``signoff restore`` (design §14.5): a consistent copy of the whole
database while it serves, and its return into an empty database.

SQLite: the online backup API (pages copied under a read transaction: writers are not
stopped, and the copy is one point in time). PostgreSQL: ``pg_dump --format=custom`` (one
snapshot, the server keeps serving) and ``pg_restore``; the client tools must be at least
the server's major version. Everything comes back: documents, reviews, the audit chain, the
signing keys, and the outbox with what was already relayed marked so (nothing is sent twice).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from signoff.core.config import DatabaseSettings


class BackupError(RuntimeError):
    """The backup or restore cannot be made; the message says why."""


def backup(settings: DatabaseSettings, target: Path) -> str:
    url = make_url(settings.url.get_secret_value())
    if settings.is_sqlite:
        _sqlite_copy(_sqlite_path(url, must_exist=True), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={target}"], url)
    return f"backed up {url.render_as_string(hide_password=True)} to {target}"


def restore(settings: DatabaseSettings, source: Path) -> str:
    """Restore ``source`` into the configured database, which must be empty (no tables): a
    restore never merges into, nor overwrites, a database in use."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    url = make_url(settings.url.get_secret_value())
    if settings.is_sqlite:
        path = _sqlite_path(url, must_exist=False)
        if path.exists() and _sqlite_tables(path):
            raise BackupError(f"{path} is not empty: restore into a new database")
        _sqlite_copy(source, path)
    else:
        tables = _run(
            ["psql", "-Atc", "SELECT count(*) FROM pg_tables WHERE schemaname='public'"], url
        )
        if tables.strip() != "0":
            raise BackupError(f"database {url.database} is not empty: restore into a new one")
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--dbname",
                url.database or "",
                str(source),
            ],
            url,
        )
    return f"restored {source} into {url.render_as_string(hide_password=True)}"


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _sqlite_tables(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        count: int = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table'"
        ).fetchone()[0]
    conn.close()
    return count


def _sqlite_copy(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run(command: list[str], url: URL) -> str:
    """Run a PostgreSQL client tool against ``url``; the password goes in the environment,
    never on the command line (where `ps` shows it)."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    env = os.environ | {
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGDATABASE": url.database or "",
    }
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # A fixed client tool with our own arguments, no shell.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout
