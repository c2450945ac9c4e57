"""Requirements declared by the material itself, for links made without anyone's hands:

- an OpenAPI operation's `x-requirements` (a list, or a comma-separated string);
- a test's `requirement` (or `requirements`) property in a JUnit report, which pytest
  writes from `item.user_properties` (e.g. a `@pytest.mark.requirement("REQ-001")`
  marker turned into a property by a conftest hook; junit_family=xunit1).

Both run only on uploads the parsers already accepted, through the same limited loaders.
"""

from __future__ import annotations

import re

import defusedxml.ElementTree as SafeTree

from signoff.traceability.formats import DEFAULT_SPEC_LIMITS, METHODS, OpenApiSpec, TestRun
from signoff.traceability.formats.junit_ids import identify
from signoff.traceability.formats.structured import load

_SPLIT = re.compile(r"[,\s]+")


def _ids(value: object) -> list[str]:
    if isinstance(value, str):
        return [v for v in _SPLIT.split(value) if v]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def spec_requirements(
    data: bytes, content_type: str | None, spec: OpenApiSpec
) -> dict[str, list[str]]:
    root = load(data, content_type, DEFAULT_SPEC_LIMITS).value
    paths = root.get("paths") if isinstance(root, dict) else None
    if not isinstance(paths, dict):
        return {}
    ids = {(op.method, op.path): op.operation_id for op in spec.operations}
    found: dict[str, list[str]] = {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            operation = item.get(method.lower())
            if isinstance(operation, dict) and (method.upper(), path) in ids:
                declared = _ids(operation.get("x-requirements"))
                if declared:
                    found[ids[(method.upper(), path)]] = declared
    return found


def report_requirements(data: bytes, report: TestRun) -> dict[str, list[str]]:
    root = SafeTree.fromstring(data, forbid_dtd=True)
    pytest = report.flavour == "pytest"
    found: dict[str, list[str]] = {}
    for case in root.iter("testcase"):
        declared = [
            rid
            for prop in case.iter("property")
            if prop.get("name") in ("requirement", "requirements")
            for rid in _ids(prop.get("value", ""))
        ]
        if declared:
            test = identify(
                case.get("name", ""), case.get("classname", ""), case.get("file"), pytest=pytest
            )
            found.setdefault(test.test_id, []).extend(declared)
    return found
