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

from signoff.traceability.formats import DEFAULT_SPEC_LIMITS, OpenApiSpec, TestRun
from signoff.traceability.formats.junit_ids import identify
from signoff.traceability.formats.structured import join_pointer, load, split_pointer

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
    """Each operation's `x-requirements`, read where the parser took the operation from:
    under `paths` (which wins, as fields beside a path item's `$ref` do), else where the
    path item's `$ref` led."""
    root = load(data, content_type, DEFAULT_SPEC_LIMITS).value
    found: dict[str, list[str]] = {}
    for op in spec.operations:
        for pointer in (join_pointer("/paths", op.path, op.method.lower()), op.pointer):
            operation = _at(root, pointer)
            if isinstance(operation, dict):
                declared = _ids(operation.get("x-requirements"))
                if declared:
                    found[op.operation_id] = declared
                break
    return found


def _at(root: object, pointer: str) -> object:
    node = root
    for segment in split_pointer(pointer):
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return None
    return node


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
