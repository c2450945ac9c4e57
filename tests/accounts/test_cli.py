"""``signoff admin ...`` and ``signoff worker`` against a real database file."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from signoff.cli.main import cli
from tests.support.identity import sign_up
from tests.support.server import REPO


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "admin.db"
    monkeypatch.setenv("SIGNOFF_DATABASE__URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SIGNOFF_AUTH__ARGON2_MEMORY_KIB", "8192")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str, password: str | None = None) -> tuple[int, str]:
    env = {"SIGNOFF_ADMIN_PASSWORD": password} if password else {}
    result = CliRunner().invoke(cli, ["admin", *args], env=env)
    return result.exit_code, result.output


def test_create_user_and_org_for_closed_signup(database: Path) -> None:
    code, out = run(
        "create-user",
        "--email",
        "Root@Example.com",
        "--name",
        "Root",
        password="a long enough passphrase",
    )
    assert code == 0, out
    assert "created user root@example.com" in out
    code, out = run("create-org", "--slug", "acme", "--name", "Acme", "--owner", "root@example.com")
    assert code == 0, out
    with sqlite3.connect(database) as db:
        role = db.execute(
            "SELECT m.role FROM membership m JOIN organization o ON o.id = m.org_id "
            "WHERE o.slug = 'acme'"
        ).fetchone()
        audited = [r[0] for r in db.execute("SELECT type FROM audit_event ORDER BY occurred_at")]
        actors = {r[0] for r in db.execute("SELECT actor FROM audit_event")}
    assert role == ("owner",)
    assert audited == ["users.created", "orgs.created"]
    assert all(a.startswith("cli:") for a in actors)


def test_admin_commands_refuse_clearly(database: Path) -> None:
    code, out = run("create-user", "--email", "w@example.com", "--name", "W", password="short")
    assert code == 1
    assert "refused: The password must be at least 12 characters." in out
    code, out = run("create-org", "--slug", "x", "--name", "X", "--owner", "nobody@example.com")
    assert code == 1
    assert "no user with the email" in out


def test_rotate_keys(database: Path) -> None:
    for _ in range(2):
        code, out = run("rotate-keys")
        assert code == 0, out
    with sqlite3.connect(database) as db:
        keys = db.execute(
            "SELECT retired_at IS NULL FROM signing_key ORDER BY created_at"
        ).fetchall()
    assert keys == [(0,), (1,)]


@pytest.mark.e2e
def test_worker_runs_jobs_and_stops_on_sigterm(database: Path, tmp_path: Path) -> None:
    env = {
        "SIGNOFF_DATABASE__URL": f"sqlite+aiosqlite:///{database}",
        "SIGNOFF_WORKER__KEY_ROTATION_CHECK_S": "0.2",
        "SIGNOFF_LOG__FORMAT": "json",
        "PATH": "/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "signoff", "worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90  # a hang guard: a busy machine took 12 s to start it
        keys = 0
        while time.monotonic() < deadline and keys == 0:
            time.sleep(0.2)
            with sqlite3.connect(database) as db:
                keys = db.execute("SELECT count(*) FROM signing_key").fetchone()[0]
        assert keys == 1  # the rotation job made the first key, and only one
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    assert b"worker.stopped" in output


@pytest.mark.requirement("REQ-009")
async def test_create_org_refuses_the_slugs_the_api_refuses(
    database: Path, client: httpx.AsyncClient
) -> None:
    owner = await sign_up(client)
    for slug in ("Bad Slug", "-acme", "a" * 64):
        api = await client.post("/v1/orgs", json={"slug": slug, "name": "X"}, headers=owner.headers)
        assert api.status_code == 422, api.text
        result = CliRunner().invoke(
            cli,
            ["admin", "create-org", "--slug", slug, "--name", "X", "--owner", "a@x.io"],
            env={"COLUMNS": "400"},  # the error box on one line
        )
        assert result.exit_code == 2, result.output
        assert "Invalid value for --slug" in result.output
        assert "Lower case letters, digits and inner hyphens" in result.output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM organization").fetchone() == (0,)


def test_create_user_reads_the_password_from_stdin_without_a_warning(database: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["admin", "create-user", "--email", "p@example.com", "--name", "P", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user p@example.com" in result.output
    assert "Warning" not in result.output
    piped = CliRunner().invoke(
        cli, ["admin", "create-user", "--email", "q@example.com", "--name", "Q"], input="x\n"
    )
    assert piped.exit_code == 2
    assert "--password-stdin" in piped.output
