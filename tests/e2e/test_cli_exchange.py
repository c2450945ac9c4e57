"""`signoff export` and `signoff import` against the real server."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_cli_docs import docs_server, filled_without_key, signoff
from tests.support.server import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.requirement("REQ-021")]
ADR_TOOLS = REPO / "tests" / "exchange" / "fixtures" / "adr-tools"


def test_export_and_import(tmp_path: Path, server_database_url: str) -> None:
    with docs_server(tmp_path, server_database_url) as env:
        source = filled_without_key(tmp_path / "design.md")
        assert signoff("push", str(source), env=env, cwd=REPO).returncode == 0
        reqif = tmp_path / "DD-1.reqif"
        out = signoff("export", "reqif", "DD-1", "-o", str(reqif), env=env, cwd=REPO)
        assert out.returncode == 0, out.stderr
        preview = signoff("import", "reqif", "DD-1", str(reqif), env=env, cwd=REPO)
        assert preview.returncode == 0, preview.stderr
        assert json.loads(preview.stdout)["unchanged"] == 12
        assert "nothing was written" in preview.stderr

        applied = signoff("import", "madr", "DD-1", str(ADR_TOOLS), "--apply", env=env, cwd=REPO)
        assert applied.returncode == 0, applied.stderr
        assert json.loads(applied.stdout)["applied"] is True
        folder = tmp_path / "decisions.zip"
        assert (
            signoff("export", "madr", "DD-1", "-o", str(folder), env=env, cwd=REPO).returncode == 0
        )
        with zipfile.ZipFile(folder) as archive:
            assert archive.namelist()[2] == "0003-use-postgresql.md"

        bad = tmp_path / "bad.reqif"
        bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><REQ-IF/>')
        refused = signoff("import", "reqif", "DD-1", str(bad), "--apply", env=env, cwd=REPO)
        assert refused.returncode == 1
        assert "import_refused" in refused.stderr
        assert "path /" in refused.stderr
