"""``signoff audit checkpoint`` and ``signoff audit verify``: the audit chains checked from
the command line, against checkpoints kept outside the database (ADR 0016)."""

from __future__ import annotations

from pathlib import Path

from signoff.audit import checkpoint
from signoff.core.clock import SystemClock
from signoff.core.config import Settings
from signoff.core.db import Database
from signoff.core.security import Signer


def _signer(settings: Settings) -> Signer:
    return Signer(settings.secret_key.get_secret_value(), checkpoint.PURPOSE)


async def checkpoint_heads(settings: Settings, file: Path) -> int:
    db = Database.from_settings(settings.database)
    try:
        async with db.session() as session:
            return await checkpoint.take(session, _signer(settings), file, SystemClock().now())
    finally:
        await db.dispose()


async def verify(
    settings: Settings, checkpoints: Path | None
) -> tuple[int, list[checkpoint.Finding]]:
    points, wrong = (
        ([], []) if checkpoints is None else checkpoint.read(checkpoints, _signer(settings))
    )
    db = Database.from_settings(settings.database)
    try:
        async with db.session() as session:
            chains, findings = await checkpoint.verify_all(session, points)
    finally:
        await db.dispose()
    return chains, wrong + findings
