"""The signing-key ring under concurrency: a key made in one request is known to the next,
even when another request loaded the keys while the first one's transaction was open (the
README walkthrough once got 401 "a key this server does not know" on a loaded machine)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from signoff.accounts.keys import KeyRing
from signoff.core.config import DatabaseSettings, Settings
from signoff.core.db import Database
from signoff.migrations.runner import upgrade

pytestmark = pytest.mark.requirement("REQ-014")


async def test_a_key_made_while_another_request_loaded_the_ring_is_known(
    settings: Settings, live_database: DatabaseSettings
) -> None:
    await asyncio.to_thread(upgrade, live_database)
    db = Database.from_settings(live_database)
    ring = KeyRing(settings.auth, settings.secret_key.get_secret_value())
    now = datetime.now(UTC)
    try:
        async with db.session() as making, making.begin():
            kid, _ = await ring.signer(making, now)  # the first key, not yet committed
            async with db.session(read_only=True) as other:
                # Another request, meanwhile: the ring loads without the new key.
                assert await ring.verifier(other, "someone-elses-kid", now) is None
        async with db.session(read_only=True) as verifying:
            assert await ring.verifier(verifying, kid, now) is not None
            # A kid nobody made still waits for the reload interval: no database load.
            assert await ring.verifier(verifying, "forged", now) is None
    finally:
        await db.dispose()
