"""`parse_junit`: the test cases of a JUnit XML report, as trace-link targets with results.

Producers covered by the tests: pytest `--junitxml` (`junit_family` `xunit1` and `xunit2`),
Maven Surefire / Failsafe `TEST-*.xml` (with its rerun and flaky records), Go's gotestsum
`--junitfile` and jest-junit. Any producer writing the shared JUnit shape (see `junit_xml`)
reads the same way; ids follow the rules in `junit_ids`.

A test case's outcome is `failed` if it has a `<failure>`, else `error` if it has an
`<error>`, else `skipped` if it has a `<skipped>` (pytest's xfail included), else `passed`.
Its `message` is the deciding element's `message` attribute, or the first line of its text,
cut to `JUnitLimits.max_message_chars`.

One test may appear several times in a report (reruns, merged reports): its cases become one
`TestCase` whose outcome is `passed` if any attempt passed - `flaky` then says whether another
failed or errored - else the worst of the others (`failed`, `error`, `skipped`); `time_s` and
`attempts` add up. Surefire's `<flakyFailure>`/`<rerunFailure>` records count as attempts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

from signoff.traceability.formats.junit_ids import identify
from signoff.traceability.formats.junit_xml import JUnitLimits, RawCase, RawReport, read_report

Outcome: TypeAlias = Literal["passed", "failed", "error", "skipped"]
Flavour: TypeAlias = Literal["pytest", "junit"]

OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped")
_DECIDING: tuple[tuple[str, Outcome], ...] = (
    ("failure", "failed"),
    ("error", "error"),
    ("skipped", "skipped"),
)
_REPEATS = frozenset({"flakyFailure", "flakyError", "rerunFailure", "rerunError"})
_NOT_PASSING_ORDER: tuple[Outcome, ...] = ("failed", "error", "skipped")

DEFAULT_JUNIT_LIMITS = JUnitLimits()


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test: `test_id` is its stable link-target id (see `junit_ids`)."""

    __test__ = False  # a class named Test* is not a pytest test class
    test_id: str
    name: str
    classname: str
    file: str | None
    outcome: Outcome
    time_s: float
    message: str | None = None
    attempts: int = 1
    flaky: bool = False


@dataclass(frozen=True, slots=True)
class TestRun:
    """A report: its name, its start time when it gives one, and its tests in report order.

    `flavour` is `pytest` when the report was recognised as pytest's (ids are node ids).
    """

    __test__ = False
    name: str
    timestamp: datetime | None
    cases: tuple[TestCase, ...]
    flavour: Flavour = "junit"

    def case(self, test_id: str) -> TestCase | None:
        return next((c for c in self.cases if c.test_id == test_id), None)

    def totals(self) -> dict[Outcome, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for case in self.cases:
            counts[case.outcome] += 1
        return counts


def parse_junit(data: bytes, *, limits: JUnitLimits = DEFAULT_JUNIT_LIMITS) -> TestRun:
    """Parse a JUnit XML report; raises `TestReportError` on any refusal."""
    report = read_report(data, limits)
    flavour: Flavour = "pytest" if _is_pytest(report) else "junit"
    grouped: dict[str, list[TestCase]] = {}
    for raw in report.cases:
        case = _case(raw, flavour, limits)
        grouped.setdefault(case.test_id, []).append(case)
    cases = tuple(_aggregate(attempts) for attempts in grouped.values())
    return TestRun(_name(report), _timestamp(report), cases, flavour)


def _is_pytest(report: RawReport) -> bool:
    return any(s.name == "pytest" for s in report.suites) or any(
        (c.file or "").endswith(".py") for c in report.cases
    )


def _case(raw: RawCase, flavour: Flavour, limits: JUnitLimits) -> TestCase:
    identity = identify(raw.name, raw.classname, raw.file, pytest=flavour == "pytest")
    outcome: Outcome = "passed"
    message = None
    for tag, candidate in _DECIDING:
        deciding = next((r for r in raw.results if r.tag == tag), None)
        if deciding is not None:
            outcome = candidate
            message = _message(deciding.message, "".join(deciding.text), limits)
            break
    repeats = sum(r.tag in _REPEATS for r in raw.results)
    flaky = outcome == "passed" and any(r.tag.startswith("flaky") for r in raw.results)
    return TestCase(
        test_id=identity.test_id,
        name=raw.name,
        classname=raw.classname,
        file=identity.file,
        outcome=outcome,
        time_s=raw.time_s,
        message=message,
        attempts=1 + repeats,
        flaky=flaky,
    )


def _message(attribute: str | None, text: str, limits: JUnitLimits) -> str | None:
    if attribute and attribute.strip():
        # pytest puts the whole assertion in the attribute: keep all of it, on one line.
        message = " ".join(attribute.split())
    else:
        message = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return message[: limits.max_message_chars] or None


def _aggregate(attempts: list[TestCase]) -> TestCase:
    first = attempts[0]
    if len(attempts) == 1:
        return first
    outcomes = {a.outcome for a in attempts}
    if "passed" in outcomes:
        outcome: Outcome = "passed"
        flaky = bool(outcomes & {"failed", "error"}) or any(a.flaky for a in attempts)
    else:
        outcome = next(o for o in _NOT_PASSING_ORDER if o in outcomes)
        flaky = False
    deciding = next(a for a in attempts if a.outcome == outcome)
    return TestCase(
        test_id=first.test_id,
        name=first.name,
        classname=first.classname,
        file=first.file,
        outcome=outcome,
        time_s=sum(a.time_s for a in attempts),
        message=deciding.message,
        attempts=sum(a.attempts for a in attempts),
        flaky=flaky,
    )


def _name(report: RawReport) -> str:
    names = [s.name for s in report.suites if s.name]
    if report.root.name:
        return report.root.name
    return names[0] if len(set(names)) == 1 else ""


def _timestamp(report: RawReport) -> datetime | None:
    candidates: Iterable[str | None] = [
        report.root.timestamp,
        *(s.timestamp for s in report.suites),
    ]
    for text in candidates:
        if text:
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                continue
    return None
