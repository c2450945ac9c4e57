"""Real server processes commit what they do, so each test gives its server a database of
its own: on PostgreSQL the per-worker test database is shared by every test of the worker,
and a server's committed rows (an overdue question, a signing key) would leak into tests that
count what their jobs find."""

from __future__ import annotations

import pytest

from signoff.core.config import DatabaseSettings


@pytest.fixture
def server_database_url(live_database: DatabaseSettings) -> str:
    return live_database.url.get_secret_value()
