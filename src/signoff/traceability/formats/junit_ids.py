"""Stable test ids: the same test gets the same id in the next run's report.

Every name and classname is first normalized: Unicode NFC, runs of whitespace collapsed to one
space, ends stripped.

pytest reports (a suite named `pytest`, or a test case with a `file` ending in `.py`) get
pytest's node id, which `pytest <id>` runs again, whenever it can be derived:

- `xunit1` (test cases carry `file`): the file is the module, the rest of `classname` after
  the module's dotted name is the class chain -
  `file="tests/test_x.py" classname="tests.test_x.TestA" name="test_b[1]"` →
  `tests/test_x.py::TestA::test_b[1]`;
- `xunit2` (no `file`): the module is the last component of `classname` named like a pytest
  test module by default (`test_*` or `*_test`); the components before it are directories -
  `classname="tests.test_x.TestA"` → `tests/test_x.py::TestA::test_b[1]`, the same id as
  `xunit1` gives, so switching `junit_family` keeps ids;
- a collection error (empty `classname`, the module's dotted name as `name`) → the file
  (`tests/test_broken.py`).

Anything else - other producers, or a pytest case that fits neither rule (a `junit_prefix`, a
module outside the default naming) - gets `classname::name`, or just `name` when the
classname is empty or equal to the name (jest-junit repeats it):
`com.example.ParcelServiceTest::createsParcel`,
`example.com/parcels/tracking::TestTrack/delivered`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
_TEST_MODULE = re.compile(r"test_\w*|\w+_test")


@dataclass(frozen=True, slots=True)
class TestIdentity:
    """A test's id and the source file when the id says it (pytest) or the report does."""

    __test__ = False  # a class named Test* is not a pytest test class
    test_id: str
    file: str | None


def normalize(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def identify(name: str, classname: str, file: str | None, *, pytest: bool) -> TestIdentity:
    """The stable id of one test case (see the module docstring for the rules)."""
    name, classname = normalize(name), normalize(classname)
    file = file.strip().replace("\\", "/") if file and file.strip() else None
    if pytest:
        node = _pytest_node_id(name, classname, file)
        if node is not None:
            return node
    test_id = name if classname in ("", name) else f"{classname}::{name}"
    return TestIdentity(test_id, file)


def _pytest_node_id(name: str, classname: str, file: str | None) -> TestIdentity | None:
    if file is not None and file.endswith(".py"):
        module = file[:-3].replace("/", ".")
        if not classname and name == module:
            return TestIdentity(file, file)
        if classname == module or classname.startswith(module + "."):
            classes = [c for c in classname[len(module) :].split(".") if c]
            return TestIdentity("::".join([file, *classes, name]), file)
        return None
    if not classname:
        parts = name.split(".")
        if _TEST_MODULE.fullmatch(parts[-1]):
            path = "/".join(parts) + ".py"
            return TestIdentity(path, path)
        return None
    parts = classname.split(".")
    modules = [i for i, part in enumerate(parts) if _TEST_MODULE.fullmatch(part)]
    if not modules:
        return None
    path = "/".join(parts[: modules[-1] + 1]) + ".py"
    return TestIdentity("::".join([path, *parts[modules[-1] + 1 :], name]), path)
