"""Fixture files, and pytest JUnit reports produced for real by running pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
OPENAPI_30_YAML = FIXTURES / "parcel-tracking-3.0.yaml"
OPENAPI_31_JSON = FIXTURES / "parcel-tracking-3.1.json"

# A throwaway suite with one test of every kind pytest reports differently.
_THROWAWAY = {
    "tests/test_parcels.py": """
import pytest


def test_registers():
    assert True


def test_rejects_zero_weight():
    assert 1 == 2, "weight check"


@pytest.fixture
def carrier():
    raise RuntimeError("sandbox down")


def test_books_carrier(carrier):
    pass


@pytest.fixture
def leaky():
    yield
    raise RuntimeError("cleanup failed")


def test_cleans_up(leaky):
    pass


@pytest.mark.skip(reason="not yet")
def test_international():
    pass


@pytest.mark.xfail(reason="known bug")
def test_estimate():
    assert False


@pytest.mark.parametrize("code", ["PCL-00000001", "pcl 2"])
def test_parses(code):
    pass


class TestTracking:
    def test_latest_scan(self):
        pass

    class TestHistory:
        def test_oldest_first(self):
            pass
""",
    "tests/api/test_webhooks.py": "def test_signs():\n    pass\n",
    "tests/test_broken.py": "import a_module_that_does_not_exist\n",
}


def run_pytest_junit(directory: Path, family: str) -> bytes:
    """Run pytest on the throwaway suite in `directory` and return its JUnit XML."""
    for name, source in _THROWAWAY.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(source, encoding="utf-8")
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    report = directory / f"{family}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-c", "pytest.ini", "--rootdir", ".", "-o", f"junit_family={family}",
        "--continue-on-collection-errors", f"--junitxml={report}", "tests",
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=directory, env=env, capture_output=True, timeout=60, check=False
    )
    assert completed.returncode == 1, completed.stdout.decode(errors="replace")
    return report.read_bytes()


@pytest.fixture(scope="session")
def junit_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The throwaway suite's report in each `junit_family`, keyed by family."""
    return {
        family: run_pytest_junit(tmp_path_factory.mktemp(family), family)
        for family in ("xunit1", "xunit2")
    }
