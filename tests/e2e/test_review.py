"""A whole review against the real server process: create, fill, submit, request changes on
§7, edit §7 (only the security approval is dismissed), approve 1.0, edit 1.1, approve 2.0."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_server import database_env
from tests.review.support import walk_a_review
from tests.support.server import free_port, running, signoff_command

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-013")]


async def test_a_review_walk_on_the_real_server(tmp_path: Path, server_database_url: str) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (base, _):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            result = await walk_a_review(client)
    final = result["final"]
    assert final["status"] == "approved"
    assert final["last_approved"]["version"] == "2.0"
