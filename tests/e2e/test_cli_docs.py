"""Docs-as-code against the real server: `signoff push` a file, `signoff pull` it back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.documents.conftest import FIXTURES
from tests.e2e.test_server import database_env
from tests.support.identity import PASSWORD, unique
from tests.support.server import REPO, free_port, running, signoff_command

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-012")]


def signoff(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        signoff_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_push_and_pull(tmp_path: Path, server_database_url: str) -> None:
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (base, _):
        name, org = unique("cli"), unique("org")
        httpx.post(
            f"{base}/v1/auth/signup",
            json={
                "email": f"{name}@example.com",
                "password": PASSWORD,
                "name": "Cli",
                "org_name": "CLI",
                "org_slug": org,
            },
        ).raise_for_status()
        token = httpx.post(
            f"{base}/v1/auth/token",
            data={
                "grant_type": "password",
                "username": f"{name}@example.com",
                "password": PASSWORD,
            },
        ).json()["access_token"]
        key = httpx.post(
            f"{base}/v1/orgs/{org}/api-keys",
            json={"name": "ci", "scopes": ["documents:read", "documents:write"]},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["secret"]
        cli_env = {
            "SIGNOFF_URL": base,
            "SIGNOFF_TOKEN": key,
            "SIGNOFF_ORG": org,
            "PATH": "/usr/bin:/bin",
        }
        source = tmp_path / "design.md"
        source.write_text(
            (FIXTURES / "filled-document.md").read_text("utf-8").replace("key: DD-7\n", ""),
            "utf-8",
        )
        pushed = signoff("push", str(source), env=cli_env, cwd=REPO)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.startswith("DD-1 0.1 (draft)")
        assert "is derived by the server" in pushed.stderr  # the fixture types a version
        pulled = tmp_path / "DD-1.md"
        got = signoff("pull", "DD-1", "-o", str(pulled), env=cli_env, cwd=REPO)
        assert got.returncode == 0, got.stderr
        text = pulled.read_text("utf-8")
        assert "key: DD-1" in text
        pulled.write_text(text.replace("Parcel Tracking API", "Parcel Tracking API v2", 1), "utf-8")
        again = signoff("push", str(pulled), env=cli_env, cwd=REPO)  # the key is in the file
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("DD-1 0.2 (draft)")
        refused = signoff("push", str(pulled), "--doc", "DD-99", env=cli_env, cwd=REPO)
        assert refused.returncode == 1
        assert "document_not_found" in refused.stderr
        no_token = signoff(
            "pull", "DD-1", env={"PATH": "/usr/bin:/bin", "SIGNOFF_ORG": org}, cwd=REPO
        )
        assert no_token.returncode == 2
