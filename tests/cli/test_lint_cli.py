"""`signoff lint FILE.md`: offline, with an exit code a CI job can gate on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signoff.cli.main import cli
from tests.documents.conftest import FIXTURES, REPO

pytestmark = pytest.mark.requirement("REQ-020")
SEED = REPO / "src" / "signoff" / "templates" / "builtin" / "backend-server.md"  # the seed


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["lint", *args])
    return result.exit_code, result.output


def test_a_filled_document_passes_and_says_what_is_left() -> None:
    code, output = run(str(FIXTURES / "filled-document.md"))
    assert code == 0, output
    assert "warning question-overdue §16.2" in output
    assert "completeness 100% (66 of 66 sections), 1 finding(s)" in output


def test_severity_threshold_and_json() -> None:
    code, output = run(
        str(FIXTURES / "filled-document.md"), "--fail-on", "warning", "--format", "json"
    )
    assert code == 1
    report = json.loads(output)
    assert report["score"] == 100
    assert [f["rule"] for f in report["findings"]] == ["question-overdue"]


def test_the_untouched_template_fails(tmp_path: Path) -> None:
    copy = tmp_path / "seed.md"
    copy.write_bytes(SEED.read_bytes())
    code, output = run(str(copy))
    assert code == 1
    assert "error placeholder" in output
    assert "completeness 0%" in output


def test_a_file_that_is_not_a_document_is_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n# Design Document: X\n", "utf-8")
    code, output = run(str(broken))
    assert code == 2
    assert "broken.md" in output
    unknown, message = run(str(FIXTURES / "filled-document.md"), "--template", "nope")
    assert unknown == 2
    assert "nope" in message


def test_sarif_github_and_an_unknown_format(tmp_path: Path) -> None:
    doc = tmp_path / "design.md"
    doc.write_text("# Design Document: Half done\n\n## 1. Introduction\n")
    code, output = run(str(doc), "--format", "sarif")
    assert code == 1
    log = json.loads(output)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert results
    assert {r["ruleId"] for r in results} <= rules
    assert results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(doc)
    code, output = run(str(doc), "--format", "github")
    assert code == 1
    assert output.splitlines()[0].startswith(f"::error file={doc},title=signoff ")
    code, output = run(str(doc), "--format", "xml")
    assert code == 2
    assert "'xml' is not one of" in output


def test_a_template_file_lints_offline(tmp_path: Path) -> None:
    template = tmp_path / "org-template.md"
    seed = SEED.read_text("utf-8")
    template.write_text(
        seed.replace(
            "## 2. System Context", "### 1.4 Compliance\n\nName the rules.\n\n## 2. System Context"
        )
    )
    code, output = run(str(FIXTURES / "filled-document.md"), "--template", str(template))
    assert code == 1
    assert "1.4 Compliance" in output
    code, _ = run(str(FIXTURES / "filled-document.md"), "--template", str(tmp_path / "no.md"))
    assert code == 2


def test_a_file_without_a_title_is_refused_with_the_servers_code(tmp_path: Path) -> None:
    # tests/documents/test_documents.py: the server's 422 names `missing_title` for this text.
    untitled = tmp_path / "untitled.md"
    untitled.write_text("## 1. Introduction\n\nText.\n", "utf-8")
    code, output = run(str(untitled))
    assert code == 2
    assert "missing_title: The document has no title" in output
    assert "missing-section" not in output


def test_the_cli_names_what_the_libraries_define() -> None:
    # Written out in cli/docs.py so that `signoff --help` need not import them.
    from signoff.cli.docs import DEFAULT_TEMPLATE, FailOn
    from signoff.docformat import Severity
    from signoff.templates.service import BUILTIN_SLUG

    assert DEFAULT_TEMPLATE == BUILTIN_SLUG
    assert {s.value for s in FailOn} == {s.value for s in Severity}


def test_template_infer_and_lint_an_rfc_style_document(tmp_path: Path) -> None:
    from tests.docformat.test_unnumbered import RFC_DOC

    doc = tmp_path / "rfc.md"
    doc.write_text(RFC_DOC, "utf-8")
    template = tmp_path / "rfc-template.md"
    result = CliRunner().invoke(cli, ["template", "infer", str(doc), "-o", str(template)])
    assert result.exit_code == 0, result.output
    assert template.read_text("utf-8").startswith("- Feature Name:\n- Start Date:\n\n# Summary")
    # The document has no title of its own: lint says so, and takes one when given.
    code, output = run(str(doc), "--template", str(template))
    assert (code, "missing_title" in output) == (2, True)
    code, output = run(str(doc), "--template", str(template), "--title", "Widget cache")
    assert code == 0, output
    stdout = CliRunner().invoke(cli, ["template", "infer", str(doc)])
    assert stdout.output == template.read_text("utf-8")
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\xff\xfe not text")
    assert CliRunner().invoke(cli, ["template", "infer", str(broken)]).exit_code == 2
