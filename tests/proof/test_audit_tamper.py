"""Row 7 of issue 11: audit tamper drills. Rows of the audit chain are edited, deleted,
reordered and cut off directly in the database; `signoff audit verify` (the command an
operator runs) finds each and says where. A tail cut off together with the head row that
would betray it is found by the signed checkpoint kept outside the database (ADR 0016), and
a forged checkpoint line is refused."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from signoff.audit.models import AuditChain, AuditEvent
from signoff.core.config import DatabaseSettings
from signoff.core.db import create_engine
from signoff.orgs.models import Organization
from tests.conftest import TEST_SECRET
from tests.support.identity import Actor, join, sign_up
from tests.support.server import REPO, signoff_command

pytestmark = pytest.mark.requirement("REQ-016")


async def cli(database: DatabaseSettings, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")} | {
        "SIGNOFF_DATABASE__URL": database.url.get_secret_value(),
        "SIGNOFF_SECRET_KEY": TEST_SECRET,
        "SIGNOFF_LOG__LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    done = await asyncio.to_thread(
        subprocess.run, signoff_command(*args), env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


async def test_every_kind_of_tampering_is_found_and_located(
    live: httpx.AsyncClient,
    live_database: DatabaseSettings,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    # One organization per drill: each drill breaks its own chain, and one run finds all.
    drills = ["edit", "delete", "reorder", "cut", "cut with the head"]
    owners: list[Actor] = []
    for _ in drills:
        owner = await sign_up(live)
        await join(live, owner, owner.orgs[0], "member")  # 5 entries: created, signed up, 3
        owners.append(owner)
    engine = create_engine(live_database.url.get_secret_value(), live_database)
    async with engine.connect() as conn:
        slugs = [o.orgs[0] for o in owners]
        ids = dict(
            (
                await conn.execute(
                    select(Organization.slug, Organization.id).where(Organization.slug.in_(slugs))
                )
            ).all()
        )
    chains = [ids[s] for s in slugs]
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    status, clean = await cli(live_database, "audit", "checkpoint", "--file", str(checkpoints))
    assert status == 0, clean
    status, clean = await cli(live_database, "audit", "verify", "--checkpoints", str(checkpoints))
    assert status == 0, clean
    assert "no break" in clean

    edit, remove, reorder, cut, cut_head = chains
    async with engine.begin() as conn:
        await conn.execute(
            update(AuditEvent)
            .where(AuditEvent.chain_id == edit, AuditEvent.seq == 3)
            .values(actor="user:someone-else")
        )
        await conn.execute(
            delete(AuditEvent).where(AuditEvent.chain_id == remove, AuditEvent.seq == 2)
        )
        # Swap entries 2 and 3 (through a free number: (chain, seq) is unique).
        for old, new in ((2, 1000), (3, 2), (1000, 3)):
            await conn.execute(
                update(AuditEvent)
                .where(AuditEvent.chain_id == reorder, AuditEvent.seq == old)
                .values(seq=new)
            )
        await conn.execute(
            delete(AuditEvent).where(AuditEvent.chain_id == cut, AuditEvent.seq == 5)
        )
        # The careful attacker: the last two entries gone, and the head row made to agree.
        await conn.execute(
            delete(AuditEvent).where(AuditEvent.chain_id == cut_head, AuditEvent.seq >= 4)
        )
        kept = await conn.scalar(
            select(AuditEvent.hash).where(AuditEvent.chain_id == cut_head, AuditEvent.seq == 3)
        )
        await conn.execute(
            update(AuditChain).where(AuditChain.chain_id == cut_head).values(seq=3, last_hash=kept)
        )
    await engine.dispose()
    forged = tmp_path / "forged.jsonl"
    forged.write_text(checkpoints.read_text().replace('"seq": 5', '"seq": 3', 1))

    status, found = await cli(live_database, "audit", "verify", "--checkpoints", str(checkpoints))
    assert status == 1, found
    lines = found.splitlines()

    def where(chain: object) -> list[str]:
        return [line for line in lines if line.startswith(f"chain {chain}: ")]

    assert where(edit) == [f"chain {edit}: broken at entry 3: the entry was altered"]
    assert where(remove) == [f"chain {remove}: broken at entry 3: entry 2 is missing"]
    assert where(reorder) == [
        f"chain {reorder}: broken at entry 2: the link to the previous entry is broken"
    ]
    assert (
        where(cut)[0] == f"chain {cut}: broken at its end: the chain was cut after its last entry"
    )
    assert len(where(cut_head)) == 1, found  # only the checkpoint sees this one
    assert where(cut_head)[0].startswith(f"chain {cut_head}: broken at entry 5: the chain was cut:")
    assert where(cut_head)[0].endswith("the database's chain ends at entry 3")
    # Without the checkpoint the careful attacker goes unseen: what the file is for.
    status, unseen = await cli(live_database, "audit", "verify")
    assert status == 1
    assert not [x for x in unseen.splitlines() if x.startswith(f"chain {cut_head}")]
    status, refused = await cli(live_database, "audit", "verify", "--checkpoints", str(forged))
    assert status == 1
    assert re.search(
        r"^forged.jsonl line \d+ is not a checkpoint signed by this server$", refused, re.M
    )
    record_property(
        "figures",
        f"{len(drills)} tamper drills ({', '.join(drills)}): {len(drills)} found and located by "
        "`signoff audit verify`; the cut with the head rewritten only with the checkpoint",
    )
