"""parse_junit on Maven Surefire, gotestsum and jest-junit reports, and merging reruns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from signoff.traceability.formats import JUnitLimits, TestCase, TestRun, parse_junit

from .conftest import FIXTURES

pytestmark = pytest.mark.requirement("REQ-023")


def _parse(name: str) -> TestRun:
    return parse_junit((FIXTURES / name).read_bytes())


def _case(run: TestRun, test_id: str) -> TestCase:
    case = run.case(test_id)
    assert case is not None, [c.test_id for c in run.cases]
    return case


def test_surefire() -> None:
    run = _parse("surefire-TEST-com.example.parcels.ParcelServiceTest.xml")
    prefix = "com.example.parcels.ParcelServiceTest::"
    assert run.flavour == "junit"
    assert run.name == "com.example.parcels.ParcelServiceTest"
    assert run.timestamp is None
    assert [(c.test_id.removeprefix(prefix), c.outcome) for c in run.cases] == [
        ("registersAParcel", "passed"),
        ("rejectsZeroWeight", "failed"),
        ("cancelsBeforeShipping", "error"),
        ("tracksInternationalParcels", "skipped"),
        ("parsesTrackingNumber(String)[1]", "passed"),
        ("parsesTrackingNumber(String)[2]", "passed"),
        ("recordsScanEvents", "passed"),
        ("computesDeliveryEstimate", "failed"),
    ]
    failed = _case(run, prefix + "rejectsZeroWeight")
    assert failed.message == "expected: <400> but was: <201>"
    assert failed.file is None
    assert failed.time_s == pytest.approx(0.003)
    flaky = _case(run, prefix + "recordsScanEvents")
    assert (flaky.outcome, flaky.flaky, flaky.attempts, flaky.message) == ("passed", True, 2, None)
    rerun = _case(run, prefix + "computesDeliveryEstimate")
    assert (rerun.flaky, rerun.attempts) == (False, 2)
    assert rerun.time_s == pytest.approx(1002.5)  # old Surefire wrote "1,002.5"
    assert _case(run, prefix + "cancelsBeforeShipping").message == "Connection refused"


def test_gotestsum_with_reruns() -> None:
    run = _parse("gotestsum.xml")
    assert run.name == ""  # several packages, and no name on the root
    assert run.timestamp == datetime(2026, 11, 26, 10, 15, 4, tzinfo=UTC)
    assert {c.test_id: c.outcome for c in run.cases} == {
        "example.com/parcels/tracking::TestTrack": "failed",
        "example.com/parcels/tracking::TestTrack/delivered": "passed",
        "example.com/parcels/tracking::TestTrack/lost": "failed",
        "example.com/parcels/tracking::TestCarrierSandbox": "skipped",
        "example.com/parcels/tracking::TestEstimate": "passed",
        "example.com/parcels/api::TestCreateParcel": "passed",
        "example.com/parcels/api::TestCreateParcel/rejects_zero_weight": "passed",
        "example.com/parcels/api::TestWebhook": "passed",
    }
    # Failed, then passed on `gotestsum --rerun-fails` (in the same suite or a later one).
    for test_id in (
        "example.com/parcels/api::TestWebhook",
        "example.com/parcels/tracking::TestEstimate",
    ):
        case = _case(run, test_id)
        assert (case.flaky, case.attempts, case.message) == (True, 2, None)
    assert _case(run, "example.com/parcels/api::TestWebhook").time_s == pytest.approx(0.39)
    skipped = _case(run, "example.com/parcels/tracking::TestCarrierSandbox")
    assert skipped.message == (
        "=== RUN TestCarrierSandbox carrier_test.go:12: no sandbox credentials"
        " --- SKIP: TestCarrierSandbox (0.00s)"
    )


def test_jest_junit() -> None:
    run = _parse("jest-junit.xml")
    assert run.name == "jest tests"
    assert run.timestamp == datetime(2026, 11, 26, 10, 20, 11)
    assert [(c.test_id, c.outcome) for c in run.cases] == [
        ("ParcelTracker shows the latest scan", "passed"),
        ("ParcelTracker warns when the parcel is late", "failed"),
        ("ParcelTracker renders the map", "skipped"),  # whitespace runs collapse
    ]
    late = _case(run, "ParcelTracker warns when the parcel is late")
    assert late.message == "Error: expect(received).toBe(expected) // Object.is equality"


def _report(cases: str, root: str = "testsuite") -> bytes:
    return f'<?xml version="1.0"?>\n<{root} name="suite">\n{cases}\n</{root}>\n'.encode()


@pytest.mark.parametrize(
    ("attempts", "outcome", "flaky"),
    [
        (["<failure/>", "<failure/>"], "failed", False),
        (["<failure/>", ""], "passed", True),
        (["", "<error/>"], "passed", True),
        (["<skipped/>", ""], "passed", False),
        (["<error/>", "<failure/>"], "failed", False),
        (["<skipped/>", "<error/>"], "error", False),
        (["<skipped/>", "<skipped/>"], "skipped", False),
        (["<failure/><error/>"], "failed", False),  # a failed test whose teardown broke too
    ],
)
def test_repeated_cases_merge(attempts: list[str], outcome: str, flaky: bool) -> None:
    cases = "\n".join(
        f'<testcase classname="a.B" name="t" time="1">{a}</testcase>' for a in attempts
    )
    run = parse_junit(_report(cases))
    assert len(run.cases) == 1
    case = run.cases[0]
    assert (case.test_id, case.outcome, case.flaky) == ("a.B::t", outcome, flaky)
    assert case.attempts == len(attempts)
    assert case.time_s == pytest.approx(len(attempts))


def test_merged_message_comes_from_the_deciding_attempt() -> None:
    cases = (
        '<testcase classname="a" name="t"><skipped message="later"/></testcase>'
        '<testcase classname="a" name="t"><failure message="first failure"/></testcase>'
        '<testcase classname="a" name="t"><failure message="second failure"/></testcase>'
    )
    assert parse_junit(_report(cases)).cases[0].message == "first failure"


def test_shapes_producers_differ_in() -> None:
    report = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<r:testsuites xmlns:r="urn:example" timestamp="not a date">
  <r:testsuite name="outer" timestamp="2026-01-02T03:04:05">
    <r:testsuite name="inner">
      <r:testcase class="Legacy" name="uses class" time="abc"/>
      <r:testcase name="caf\xe9" time="-1"><r:failure>

        first line\n second line</r:failure></r:testcase>
    </r:testsuite>
  </r:testsuite>
  <r:testcase classname="loose" name="outside any suite" time="NaN"/>
</r:testsuites>"""
    run = parse_junit(report)
    assert run.timestamp == datetime(2026, 1, 2, 3, 4, 5)
    assert run.name == ""
    assert [(c.test_id, c.outcome, c.time_s) for c in run.cases] == [
        ("Legacy::uses class", "passed", 0.0),
        ("café", "failed", 0.0),
        ("loose::outside any suite", "passed", 0.0),
    ]
    assert run.cases[1].message == "first line"


def test_messages_are_capped() -> None:
    long = "x" * 5000
    report = _report(
        f'<testcase name="t"><failure message="{long}"/></testcase>'
        f'<testcase name="u"><error>{long}</error></testcase>'
    )
    run = parse_junit(report, limits=JUnitLimits(max_message_chars=50))
    assert [len(c.message or "") for c in run.cases] == [50, 50]


def test_an_empty_run() -> None:
    run = parse_junit(b'<testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    assert (run.name, run.cases, run.flavour) == ("pytest", (), "pytest")
    assert run.totals() == {"passed": 0, "failed": 0, "error": 0, "skipped": 0}


def test_pytest_ids_fall_back_when_not_derivable() -> None:
    cases = (
        '<testcase classname="prefix.tests.test_a" name="test_x" file="tests/test_a.py"/>'
        '<testcase classname="checks.check_a.TestB" name="test_y"/>'
        '<testcase classname="" name="checks.check_a"/>'
        '<testcase classname="tests.a_test" name="test_z" file="tests\\a_test.py"/>'
    )
    run = parse_junit(_report(cases).replace(b'name="suite"', b'name="pytest"'))
    assert [(c.test_id, c.file) for c in run.cases] == [
        ("prefix.tests.test_a::test_x", "tests/test_a.py"),  # junit_prefix: not the file's
        ("checks.check_a.TestB::test_y", None),  # not a default pytest module name
        ("checks.check_a", None),
        ("tests/a_test.py::test_z", "tests/a_test.py"),
    ]
