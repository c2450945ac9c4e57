"""Docs-as-code against the real server: `signoff push` a file, `signoff pull` it back."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.documents.conftest import FIXTURES
from tests.documents.test_template_styles import PROPOSAL_DOC
from tests.e2e.test_server import database_env
from tests.support.identity import PASSWORD, unique
from tests.support.server import REPO, free_port, running, signoff_command

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-012")]


def signoff(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        signoff_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@contextmanager
def docs_server(
    tmp_path: Path,
    database_url: str,
    scopes: tuple[str, ...] = ("documents:read", "documents:write"),
) -> Iterator[dict[str, str]]:
    """A real server with one organization, and the CLI's environment for it (an API key)."""
    port = free_port()
    env = database_env(database_url, tmp_path)
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
            json={"name": "ci", "scopes": list(scopes)},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["secret"]
        yield {
            "SIGNOFF_URL": base,
            "SIGNOFF_TOKEN": key,
            "SIGNOFF_ORG": org,
            "PATH": "/usr/bin:/bin",
        }


def filled_without_key(path: Path) -> Path:
    path.write_text(
        (FIXTURES / "filled-document.md").read_text("utf-8").replace("key: DD-7\n", ""), "utf-8"
    )
    return path


def test_push_and_pull(tmp_path: Path, server_database_url: str) -> None:
    with docs_server(tmp_path, server_database_url) as cli_env:
        org = cli_env["SIGNOFF_ORG"]
        source = filled_without_key(tmp_path / "design.md")
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


def test_a_stale_push_is_refused_and_loses_nothing(
    tmp_path: Path, server_database_url: str
) -> None:
    """Issue 12: two copies pulled at the same revision, both edited; the second push used to
    overwrite the first. Now it is refused with what changed, and nothing is lost."""
    with docs_server(tmp_path, server_database_url) as cli_env:
        source = filled_without_key(tmp_path / "design.md")
        first = signoff("push", str(source), env=cli_env, cwd=REPO)
        assert first.returncode == 0, first.stderr
        key = first.stdout.split()[0]
        # The allocated key and revision went back into the file: pushing it again is a new
        # revision of the same document, not a second document.
        assert f"key: {key}" in source.read_text("utf-8")
        assert "revision: '1'" in source.read_text("utf-8")
        a, b = tmp_path / "a.md", tmp_path / "b.md"
        for copy in (a, b):
            pulled = signoff("pull", key, "-o", str(copy), env=cli_env, cwd=REPO)
            assert pulled.returncode == 0, pulled.stderr
        a.write_text(a.read_text("utf-8").replace("Parcel Tracking API", "Edit from A", 1))
        b.write_text(b.read_text("utf-8").replace("Parcel Tracking API", "Edit from B", 1))
        b_before = b.read_text("utf-8")
        pushed_a = signoff("push", str(a), env=cli_env, cwd=REPO)
        assert pushed_a.returncode == 0, pushed_a.stderr
        assert pushed_a.stdout.startswith(f"{key} 0.2 (draft), revision 2")
        pushed_b = signoff("push", str(b), env=cli_env, cwd=REPO)
        assert pushed_b.returncode == 1, pushed_b.stdout
        assert "412" in pushed_b.stderr
        assert "nothing was pushed" in pushed_b.stderr
        assert "+# Design Document: Edit from A" in pushed_b.stderr  # what changed since
        assert "--force" in pushed_b.stderr
        assert "signoff pull" in pushed_b.stderr
        assert b.read_text("utf-8") == b_before  # the refused file is untouched
        head = signoff("pull", key, env=cli_env, cwd=REPO)
        assert "Edit from A" in head.stdout
        assert "Edit from B" not in head.stdout
        assert "revision: '2'" in head.stdout
        again = signoff("push", str(source), env=cli_env, cwd=REPO)  # also pulled at 1
        assert again.returncode == 1
        forced = signoff("push", str(b), "--force", env=cli_env, cwd=REPO)
        assert forced.returncode == 0, forced.stderr
        assert "--force: replacing revision 2" in forced.stderr
        assert "Edit from A" in forced.stderr  # what it overwrote, said out loud
        assert forced.stdout.startswith(f"{key} 0.3 (draft), revision 3")
        no_base = tmp_path / "no-base.md"
        no_base.write_text(b.read_text("utf-8").replace("revision: '3'\n", ""), "utf-8")
        refused = signoff("push", str(no_base), env=cli_env, cwd=REPO)
        assert refused.returncode == 1
        assert "names no `revision`" in refused.stderr


def test_push_names_the_title_and_template_of_a_file_without_them(
    tmp_path: Path, server_database_url: str
) -> None:
    """A document in a style without a title heading (an RFC-style one) is pushed with
    --title (and --template); the title goes into the file, so the next push needs neither."""
    with docs_server(tmp_path, server_database_url) as cli_env:
        source = tmp_path / "rfc.md"
        source.write_text("- Status: Draft\n\n## 1. Introduction\n\nWhy.\n", "utf-8")
        untitled = signoff("push", str(source), env=cli_env, cwd=REPO)
        assert untitled.returncode == 1
        assert "has no title" in untitled.stderr
        named = signoff(
            "push", str(source), "--title", "Widget cache", "--template", "backend-server",
            env=cli_env, cwd=REPO,
        )  # fmt: skip
        assert named.returncode == 0, named.stderr
        text = source.read_text("utf-8")
        assert "title: Widget cache" in text
        source.write_text(text.replace("Why.", "Why: speed."), "utf-8")
        again = signoff("push", str(source), env=cli_env, cwd=REPO)
        assert again.returncode == 0, again.stderr
        assert again.stdout.split()[1] == "0.2"
        head = signoff("pull", again.stdout.split()[0], env=cli_env, cwd=REPO)
        assert "# Design Document: Widget cache" in head.stdout
        assert "Why: speed." in head.stdout


def test_lint_against_an_organizations_template_fetched_once_then_offline(
    tmp_path: Path, server_database_url: str
) -> None:
    """`signoff lint --template org:kep` fetches the org's template once, keeps it, and lints
    against the kept copy when the server is gone (issue 13)."""
    cache = tmp_path / "cache"
    document = tmp_path / "kep-42.md"
    document.write_text(PROPOSAL_DOC, "utf-8")
    with docs_server(tmp_path, server_database_url, scopes=("admin",)) as cli_env:
        env = cli_env | {"SIGNOFF_CACHE_DIR": str(cache)}
        registered = httpx.post(
            f"{env['SIGNOFF_URL']}/v1/orgs/{env['SIGNOFF_ORG']}/templates",
            json={
                "slug": "kep",
                "name": "KEP",
                "markdown": (FIXTURES / "proposal-template.md").read_text("utf-8"),
            },
            headers={"Authorization": f"Bearer {env['SIGNOFF_TOKEN']}"},
        )
        assert registered.status_code == 201, registered.text
        online = signoff("lint", str(document), "--template", "org:kep", env=env, cwd=tmp_path)
        assert online.returncode == 0, online.stdout + online.stderr
        assert "completeness 100%" in online.stdout
        kept = list(cache.glob("templates/*/*/kep@1.md"))
        assert len(kept) == 1
        unknown = signoff("lint", str(document), "--template", "org:nope", env=env, cwd=tmp_path)
        assert unknown.returncode == 2
        assert "org:nope: 404" in unknown.stderr
    # The server is gone: the pinned version and the latest both come from the kept copy.
    pinned = signoff("lint", str(document), "--template", "org:kep@1", env=env, cwd=tmp_path)
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert pinned.stderr == ""
    latest = signoff("lint", str(document), "--template", "org:kep", env=env, cwd=tmp_path)
    assert latest.returncode == 0, latest.stdout + latest.stderr
    assert "linting against the kept kep@1.md" in latest.stderr
    # A version never fetched cannot be linted against offline: exit 2, saying why.
    never = signoff("lint", str(document), "--template", "org:kep@2", env=env, cwd=tmp_path)
    assert never.returncode == 2
    assert "is not kept in" in never.stderr
    assert "Cannot reach the Signoff server" in never.stderr
