"""``signoff backup`` / ``signoff restore`` (design §14.5), on the suite's backend: a
database with documents, reviews and approvals, backed up while it serves, restored into an
empty database, reads back the same: the same content hashes, an audit chain that still
verifies, and an outbox that does not send again what was relayed before the backup."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from signoff.cli.main import cli
from signoff.core.config import DatabaseSettings, Settings, env_name
from signoff.core.services import Services
from signoff.runtime import backup
from signoff.runtime.worker import Background
from tests.review.support import walk_a_review
from tests.support.databases import backend_of, create_postgres_database, drop_postgres_database
from tests.support.livedb import serving


@pytest.fixture
async def empty_database(
    live_database: DatabaseSettings, tmp_path: Path
) -> AsyncIterator[DatabaseSettings]:
    """A database with nothing in it, not even migrations: what a restore starts from."""
    url = live_database.url.get_secret_value()
    if backend_of(url) == "sqlite":
        yield DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
        return
    name = f"signoff_restored_{uuid.uuid4().hex[:12]}"
    restored = await create_postgres_database(url, name)
    yield DatabaseSettings(url=restored)
    await drop_postgres_database(restored)


async def what_is_there(client: httpx.AsyncClient, review: dict[str, Any]) -> dict[str, Any]:
    people, key = review["people"], review["key"]
    author = people.author.headers
    head = (await client.get(people.doc(key), headers=author)).json()
    versions = {
        v: (await client.get(people.doc(key, f"?version={v}&format=markdown"), headers=author)).text
        for v in ("1.0", "2.0")
    }
    audit = await client.get(people.url("/audit-events/verify"), headers=author)
    assert audit.status_code == 200, audit.text
    return {"head": head, "versions": versions, "audit": audit.json()}


async def test_a_restored_backup_reads_back_the_same(
    settings: Settings,
    live_database: DatabaseSettings,
    empty_database: DatabaseSettings,
    tmp_path: Path,
) -> None:
    async with serving(settings, live_database) as (client, app):
        review = await walk_a_review(client)
        relayed = await Services.of(app).part(Background).relay.run_once()
        assert relayed.dispatched > 0
        before = await what_is_there(client, review)
        assert before["audit"]["valid"] is True
        # Backed up while the app is serving (its pool holds connections open).
        file = tmp_path / "signoff.backup"
        backup.backup(live_database, file)
    assert file.stat().st_size > 0

    backup.restore(empty_database, file)

    async with serving(settings, empty_database) as (client, app):
        after = await what_is_there(client, review)
        again = await Services.of(app).part(Background).relay.run_once()
    assert after == before
    sections = before["head"]["sections"]
    assert sections
    assert all(s["content_hash"] for s in sections)
    assert again.dispatched == 0, "nothing relayed before the backup is relayed again"


def test_restore_refuses_a_database_that_is_not_empty(
    live_database: DatabaseSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "signoff.backup"
    backup.backup(live_database, file)
    monkeypatch.setenv(env_name("database", "url"), live_database.url.get_secret_value())
    result = CliRunner().invoke(cli, ["restore", str(file)])
    assert result.exit_code == 1
    assert "is not empty" in result.output
    database = make_url(live_database.url.get_secret_value()).database
    assert str(database) in result.output or "restore into a new" in result.output
