"""`.pre-commit-hooks.yaml`, tried as a pre-commit user would: `pre-commit try-repo` on a
temporary repository with a good and a bad design document. The `system` hook runs the
`signoff` of this environment (nothing is downloaded); the `python` hook's manifest entry
is validated by pre-commit itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents.conftest import FIXTURES, REPO

pytestmark = pytest.mark.requirement("REQ-020")
BIN = Path(sys.executable).parent


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_pre_commit_try_repo_lints_design_documents(tmp_path: Path) -> None:
    env = os.environ | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    pre_commit = BIN / "pre-commit"
    manifest = _run(
        pre_commit, "validate-manifest", REPO / ".pre-commit-hooks.yaml", cwd=REPO, env=env
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    work = tmp_path / "project"
    (work / "docs").mkdir(parents=True)
    shutil.copy(FIXTURES / "filled-document.md", work / "docs" / "design.md")
    (work / "README.md").write_text("# Not a design document\n")
    _run("git", "init", "-q", cwd=work, env=env)
    _run("git", "add", ".", cwd=work, env=env)
    hook = ("try-repo", REPO, "signoff-lint-system", "--all-files")
    good = _run(pre_commit, *hook, cwd=work, env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    (work / "docs" / "design.md").write_text("# Design Document: Half done\n\n## 1. Introduction\n")
    _run("git", "add", ".", cwd=work, env=env)
    bad = _run(pre_commit, *hook, cwd=work, env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "missing-section" in bad.stdout
    assert "README.md" not in bad.stdout  # only design documents are linted
