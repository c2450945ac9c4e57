"""Write the route permission table of docs/design.md §7.2 from the code (`--check`: fail
when the document is not what the code says). tests/security/test_permission_table.py runs
the check in CI."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.security.walker import permission_table, replace_table  # noqa: E402

from signoff.app import create_app  # noqa: E402
from signoff.core.config import DatabaseSettings, Settings  # noqa: E402

DESIGN = ROOT / "docs" / "design.md"


def main() -> int:
    app = create_app(Settings(database=DatabaseSettings(url="sqlite+aiosqlite:///unused.db")))
    current = DESIGN.read_text()
    wanted = replace_table(current, permission_table(app))
    if current == wanted:
        return 0
    if "--check" in sys.argv:
        print("docs/design.md §7.2 differs from the code: run scripts/permission_table.py")
        return 1
    DESIGN.write_text(wanted)
    print("docs/design.md §7.2 rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
