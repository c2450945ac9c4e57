"""Reading JUnit XML safely: defused SAX events into raw test cases, with lines.

The bytes go to defusedxml's expat reader with DTDs, entity declarations and external
references all forbidden (a test report needs none of them, and they are how billion-laughs
and XXE attacks arrive); the stdlib parsers are never given untrusted XML. SAX rather than a
tree: it reports the line of every element, keeps memory to what is kept (captured output
is skipped, messages are capped), and lets the depth and element limits stop a hostile
file while it is read.

The shape accepted is the one JUnit XML producers share: a `<testsuites>` or `<testsuite>`
root; `<testcase name classname [file] [time]>` anywhere below it (suites may nest); result
children `<failure>`, `<error>`, `<skipped>`, and Maven Surefire's rerun records
`<flakyFailure>`, `<flakyError>`, `<rerunFailure>`, `<rerunError>`. Element names are
matched without any namespace prefix; everything else is ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Never
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler, ErrorHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml
import defusedxml.sax

from signoff.traceability.formats.errors import TestReportError

RESULT_TAGS = frozenset(
    {
        "failure", "error", "skipped",
        "flakyFailure", "flakyError", "rerunFailure", "rerunError",
    }
)  # fmt: skip
_ROOTS = frozenset({"testsuites", "testsuite"})


@dataclass(frozen=True, slots=True)
class JUnitLimits:
    """Bounds on an uploaded report; exceeding one raises `too_large` or `too_complex`."""

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 32
    max_elements: int = 1_000_000
    max_cases: int = 100_000
    max_message_chars: int = 1000


@dataclass(slots=True)
class RawResult:
    """One result element of a test case: its tag, `message` attribute and leading text."""

    tag: str
    message: str | None
    text: list[str] = field(default_factory=list)
    text_chars: int = 0


@dataclass(slots=True)
class RawCase:
    name: str
    classname: str
    file: str | None
    time_s: float
    line: int | None
    results: list[RawResult] = field(default_factory=list)


@dataclass(slots=True)
class RawSuite:
    name: str | None
    timestamp: str | None


@dataclass(slots=True)
class RawReport:
    root: RawSuite
    suites: list[RawSuite] = field(default_factory=list)
    cases: list[RawCase] = field(default_factory=list)


def read_report(data: bytes, limits: JUnitLimits) -> RawReport:
    """The test cases of a JUnit XML document; raises `TestReportError` on any refusal."""
    if len(data) > limits.max_bytes:
        message = f"report is {len(data)} bytes; the limit is {limits.max_bytes}"
        raise TestReportError("too_large", message)
    handler = _Handler(limits)
    try:
        defusedxml.sax.parseString(data, handler, _Errors(), forbid_dtd=True)
    except TestReportError:
        raise
    except defusedxml.DefusedXmlException as exc:
        message = f"DTDs and entities are not allowed in a test report ({type(exc).__name__})"
        raise TestReportError("unsafe_xml", message, line=handler.line()) from None
    except SAXParseException as exc:
        line, column = exc.getLineNumber(), exc.getColumnNumber()
        message = f"not well-formed XML: {exc.getMessage()}"
        raise TestReportError("not_xml", message, line=line, column=(column or 0) + 1) from None
    except (SAXException, ValueError, LookupError) as exc:  # e.g. an unknown encoding
        raise TestReportError("not_xml", f"not readable XML: {exc}", line=handler.line()) from None
    if handler.report is None:  # pragma: no cover - expat reports an empty document
        raise TestReportError("not_xml", "no XML element found")
    return handler.report


class _Errors(ErrorHandler):
    """Every parse error is fatal; warnings are not printed (the default prints them)."""

    def error(self, exception: BaseException) -> Never:
        raise exception

    def fatalError(self, exception: BaseException) -> Never:
        raise exception

    def warning(self, exception: BaseException) -> None:
        return None


class _Handler(ContentHandler):
    def __init__(self, limits: JUnitLimits) -> None:
        super().__init__()
        self.limits = limits
        self.locator: Locator | None = None
        self.report: RawReport | None = None
        self.stack: list[str] = []
        self.elements = 0
        self.case: RawCase | None = None
        self.case_depth = 0
        self.result: RawResult | None = None

    def line(self) -> int | None:
        return None if self.locator is None else self.locator.getLineNumber()

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        tag = name.rsplit(":", 1)[-1]
        self.elements += 1
        if self.elements > self.limits.max_elements or len(self.stack) >= self.limits.max_depth:
            message = "report is too deep or has too many elements"
            raise TestReportError("too_complex", message, line=self.line())
        if self.report is None:
            if tag not in _ROOTS:
                message = f"root element is <{name}>, not <testsuites> or <testsuite>"
                raise TestReportError("not_junit", message, line=self.line())
            self.report = RawReport(RawSuite(attrs.get("name"), attrs.get("timestamp")))
        if tag == "testsuite":
            self.report.suites.append(RawSuite(attrs.get("name"), attrs.get("timestamp")))
        elif tag == "testcase" and self.case is None:
            self._start_case(attrs)
        elif (
            self.case is not None and len(self.stack) == self.case_depth + 1 and tag in RESULT_TAGS
        ):
            self.result = RawResult(tag, attrs.get("message"))
            self.case.results.append(self.result)
        self.stack.append(tag)

    def _start_case(self, attrs: AttributesImpl) -> None:
        assert self.report is not None
        name = attrs.get("name")
        if not name or not name.strip():
            raise TestReportError("invalid_testcase", "testcase without a name", line=self.line())
        if len(self.report.cases) >= self.limits.max_cases:
            message = f"report has more than {self.limits.max_cases} test cases"
            raise TestReportError("too_complex", message, line=self.line())
        classname = attrs.get("classname") or attrs.get("class") or ""
        case = RawCase(name, classname, attrs.get("file"), _seconds(attrs.get("time")), self.line())
        self.case, self.case_depth = case, len(self.stack)
        self.report.cases.append(case)

    def characters(self, content: str) -> None:
        result = self.result
        # Only text directly inside a result element; the message needs its first line only.
        if result is None or self.stack[-1] != result.tag:
            return
        if result.text_chars < self.limits.max_message_chars:
            result.text.append(content)
            result.text_chars += len(content)

    def endElement(self, name: str) -> None:
        self.stack.pop()
        if self.case is None:
            return
        if len(self.stack) == self.case_depth:
            self.case = None
        elif len(self.stack) == self.case_depth + 1:
            self.result = None


def _seconds(text: str | None) -> float:
    """A `time` attribute in seconds; 0.0 when absent or unreadable.

    Old Surefire versions wrote locale-formatted times (`1,234.5`): the commas go.
    """
    try:
        value = float((text or "0").replace(",", ""))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value >= 0 else 0.0
