"""`signoff push` and `pull` with no server where SIGNOFF_URL points: one line that says what
was tried and what to check, exit 2, no traceback (it was 100 lines of httpx.ConnectError)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from signoff.cli.main import cli
from tests.support.server import free_port

pytestmark = pytest.mark.requirement("REQ-020")


@pytest.mark.parametrize("command", ["push", "pull"])
def test_an_unreachable_server_is_named_with_what_to_check(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # released at once: nothing listens there
    document = tmp_path / "design.md"
    document.write_text("---\ntitle: Parcels\n---\n\n# Design Document: Parcels\n", "utf-8")
    monkeypatch.setenv("SIGNOFF_URL", url)
    monkeypatch.setenv("SIGNOFF_TOKEN", "so_anything")
    target = str(document) if command == "push" else "DD-1"
    result = CliRunner().invoke(cli, [command, target, "--org", "acme"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert f"Cannot reach the Signoff server at {url} (--server, SIGNOFF_URL)" in lines[0]
    assert "Connection refused" in lines[0]
    assert "`signoff serve`" in lines[0]
