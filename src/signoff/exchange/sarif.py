"""Lint findings where developers look: SARIF 2.1.0 for code-scanning UIs, and GitHub
Actions workflow commands (``::error file=...``) for annotations on a pull request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
GITHUB = {"error": "error", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class LintFinding:
    rule: str
    severity: str  # error, warning, info
    message: str
    line: int | None
    section: str | None


def to_sarif(
    path: str, findings: Sequence[LintFinding], rules: Mapping[str, str], version: str
) -> str:
    """``rules``: every rule id with its default severity (the tool's rule table)."""
    ids = sorted(rules)
    results = []
    for f in findings:
        location: dict[str, object] = {"artifactLocation": {"uri": path}}
        if f.line:
            location["region"] = {"startLine": f.line}
        text = f"§{f.section}: {f.message}" if f.section else f.message
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": ids.index(f.rule) if f.rule in rules else -1,
                "level": LEVELS.get(f.severity, "warning"),
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "signoff",
                        "version": version,
                        "rules": [
                            {
                                "id": rule,
                                "defaultConfiguration": {
                                    "level": LEVELS.get(rules[rule], "warning")
                                },
                            }
                            for rule in ids
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def _escape(text: str, *, property_: bool = False) -> str:
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if property_ else out


def to_github(path: str, findings: Sequence[LintFinding]) -> str:
    """One workflow command a finding: GitHub shows each as an annotation on the file."""
    lines = []
    for f in findings:
        props = [f"file={_escape(path, property_=True)}"]
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={_escape(f'signoff {f.rule}', property_=True)}")
        text = f"§{f.section}: {f.message}" if f.section else f.message
        lines.append(f"::{GITHUB.get(f.severity, 'warning')} {','.join(props)}::{_escape(text)}")
    return "\n".join(lines)
