"""Row 9 of issue 11: the route table of docs/design.md §7.2 is generated from the code
(scripts/permission_table.py); this fails when the document and the code disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.security.walker import permission_table, replace_table

pytestmark = pytest.mark.requirement("REQ-011")

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def test_the_design_lists_every_route_with_its_permission(app: FastAPI) -> None:
    document = DESIGN.read_text()
    assert replace_table(document, permission_table(app)) == document, (
        "docs/design.md §7.2 is not what the code says: run python3 scripts/permission_table.py"
    )
