from __future__ import annotations

from pathlib import Path

from tests.documents.conftest import filled, owner

FIXTURES = Path(__file__).parent / "formats" / "fixtures"

__all__ = ["FIXTURES", "filled", "owner"]
