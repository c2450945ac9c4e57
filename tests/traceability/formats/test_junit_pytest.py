"""parse_junit on reports that pytest itself wrote, in both JUnit families."""

from __future__ import annotations

import pytest

from signoff.traceability.formats import TestRun, parse_junit

pytestmark = pytest.mark.requirement("REQ-023")

EXPECTED = {
    "tests/test_broken.py": "error",
    "tests/api/test_webhooks.py::test_signs": "passed",
    "tests/test_parcels.py::test_registers": "passed",
    "tests/test_parcels.py::test_rejects_zero_weight": "failed",
    "tests/test_parcels.py::test_books_carrier": "error",
    "tests/test_parcels.py::test_cleans_up": "error",
    "tests/test_parcels.py::test_international": "skipped",
    "tests/test_parcels.py::test_estimate": "skipped",
    "tests/test_parcels.py::test_parses[PCL-00000001]": "passed",
    "tests/test_parcels.py::test_parses[pcl 2]": "passed",
    "tests/test_parcels.py::TestTracking::test_latest_scan": "passed",
    "tests/test_parcels.py::TestTracking::TestHistory::test_oldest_first": "passed",
}


@pytest.fixture(params=["xunit1", "xunit2"])
def run(request: pytest.FixtureRequest, junit_reports: dict[str, bytes]) -> TestRun:
    return parse_junit(junit_reports[request.param])


def test_ids_are_pytest_node_ids_with_outcomes(run: TestRun) -> None:
    assert run.flavour == "pytest"
    assert {c.test_id: c.outcome for c in run.cases} == EXPECTED
    assert run.totals() == {"passed": 6, "failed": 1, "error": 3, "skipped": 2}


def test_both_families_give_the_same_ids(junit_reports: dict[str, bytes]) -> None:
    xunit1, xunit2 = (parse_junit(junit_reports[f]) for f in ("xunit1", "xunit2"))
    assert [c.test_id for c in xunit1.cases] == [c.test_id for c in xunit2.cases]
    assert [c.file for c in xunit1.cases] == [c.file for c in xunit2.cases]


def test_case_details(run: TestRun) -> None:
    failed = run.case("tests/test_parcels.py::test_rejects_zero_weight")
    assert failed is not None
    assert failed.message == "AssertionError: weight check assert 1 == 2"
    assert (failed.name, failed.classname) == ("test_rejects_zero_weight", "tests.test_parcels")
    assert failed.file == "tests/test_parcels.py"
    assert failed.time_s >= 0
    assert (failed.attempts, failed.flaky) == (1, False)
    setup = run.case("tests/test_parcels.py::test_books_carrier")
    assert setup is not None
    assert setup.message == 'failed on setup with "RuntimeError: sandbox down"'
    xfail = run.case("tests/test_parcels.py::test_estimate")
    assert xfail is not None
    assert xfail.message == "known bug"
    nested = run.case("tests/test_parcels.py::TestTracking::TestHistory::test_oldest_first")
    assert nested is not None
    assert nested.classname == "tests.test_parcels.TestTracking.TestHistory"
    assert nested.message is None


def test_run_name_and_timestamp(run: TestRun) -> None:
    assert run.name
    assert run.timestamp is not None
    assert run.timestamp.year >= 2024


def test_a_second_run_gives_the_same_ids(
    junit_reports: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .conftest import run_pytest_junit

    again = parse_junit(run_pytest_junit(tmp_path_factory.mktemp("again"), "xunit2"))
    first = parse_junit(junit_reports["xunit2"])
    assert [(c.test_id, c.outcome) for c in again.cases] == [
        (c.test_id, c.outcome) for c in first.cases
    ]
