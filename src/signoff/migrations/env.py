"""Alembic environment: runs on a connection handed over by ``signoff.migrations.runner``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON
from sqlalchemy.engine import Connection

from signoff.core.types import UTCDateTime
from signoff.documents.search import UNMODELLED, rebuild_search_index
from signoff.migrations.metadata import metadata
from signoff.migrations.runner import run_async_migrations


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write column types as plain SQLAlchemy types: a migration must keep meaning the same
    thing when application types change later."""
    if kind != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave alone what migrations make by hand for one backend (full-text search)."""
    return not (reflected and name in UNMODELLED)


def run_on(connection: Connection) -> None:
    applied: list[str] = []
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        render_item=render_item,
        include_object=include_object,
        on_version_apply=lambda **kw: applied.append(str(kw["step"])),
    )
    with context.begin_transaction():
        context.run_migrations()
    if applied:
        # A batch migration copies tables, which renumbers SQLite rowids; FTS5 finds its
        # rows by rowid, so it is rebuilt from search_entry after any migration ran.
        rebuild_search_index(connection)


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    run_async_migrations(context.config, run_on)
