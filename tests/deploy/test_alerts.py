"""The alert rules of design §13.4 (deploy/prometheus/alerts.yml), unit-tested by promtool:
each alert fires on its condition and stays silent just below it (alerts.test.yml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def promtool(*args: str) -> str:
    """Run promtool in deploy/prometheus; its output, once it has succeeded."""
    found = shutil.which("promtool")
    assert found, (
        "promtool is missing: `python3 scripts/dev.py setup` installs it as root "
        "(Debian: apt-get install prometheus)"
    )
    result = subprocess.run(
        [found, *args], cwd=PROMETHEUS, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_the_rules_are_valid() -> None:
    promtool("check", "rules", "alerts.yml")


def test_each_alert_fires_on_its_condition_and_not_below() -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml")


def test_every_alert_has_a_test_and_a_row_in_the_design() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())
    tested = {
        case["alertname"]
        for t in tests["tests"]
        for case in t["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts == tested
    section = DESIGN.read_text().split("### 13.4 Alerting", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{name}`" in section for name in alerts), "each alert is named in §13.4"
