"""The README's walkthrough, run as written against a live server on a fresh database.

Every shell block marked `<!-- walkthrough -->` is extracted and run, in order, in one bash
session (`set -euo pipefail`: a failing command or HTTP error fails the test), from a folder
that holds what a checkout holds for it (`examples/`, `.venv`). If the README changes, this
runs the new text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_server import database_env
from tests.support.server import REPO, free_port, running, signoff_command

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-001")]

MARKED_BLOCK = re.compile(r"<!-- walkthrough -->\n```sh\n(.*?)```", re.DOTALL)


def walkthrough() -> list[str]:
    return MARKED_BLOCK.findall((REPO / "README.md").read_text("utf-8"))


def script(blocks: list[str]) -> str:
    steps = [f"{block}echo '--- block {n} done' >&2\n" for n, block in enumerate(blocks)]
    return "set -euo pipefail\n" + "".join(steps)


def test_the_readme_names_only_files_that_exist() -> None:
    text = (REPO / "README.md").read_text("utf-8")
    assert "../shared" not in text
    for sent in re.findall(r"--data-binary @(\S+)", "".join(walkthrough())):
        assert (REPO / sent).is_file(), sent
    assert len(re.findall(r"--data-binary @", "".join(walkthrough()))) >= 3


def test_the_walkthrough_runs_as_written(tmp_path: Path, server_database_url: str) -> None:
    blocks = walkthrough()
    assert len(blocks) >= 8
    (tmp_path / "examples").symlink_to(REPO / "examples")
    # The walkthrough runs `.venv/bin/signoff`: the virtualenv these tests run in.
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    port = free_port()
    env = database_env(server_database_url, tmp_path)
    with running(
        signoff_command("serve", "--port", str(port)), cwd=tmp_path, env=env, port=port
    ) as (base, _):
        shell_env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOFF_")}
        result = subprocess.run(
            ["bash", "-c", script(blocks)],
            cwd=tmp_path,
            env=shell_env | {"SIGNOFF_URL": base},
            capture_output=True,
            text=True,
            timeout=600,  # a hang guard
            check=False,
        )
    report = f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    assert result.returncode == 0, report
    assert f"--- block {len(blocks) - 1} done" in result.stderr, report
    out = result.stdout
    key = re.search(r"imported as (DD-\d+)", out)
    assert key is not None, report
    key_ = key.group(1)
    assert key_ == "DD-2"  # after the document made from the template
    assert "depots and carriers" in (tmp_path / f"{key_}.md").read_text("utf-8")
    assert (tmp_path / f"{key_}.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert '"added":["getParcel","listOrderParcels","recordScan"]' in out
    assert "TRK-001" in out
    assert '"document_status":"approved","document_version":"1.0"' in out, report
    assert '"status":"approved"' in out
