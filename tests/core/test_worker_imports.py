"""Rule 2: the worker uses services, repositories and models, never the web framework; a
fresh interpreter that loads it (and every model, as ``signoff worker`` does) has not
loaded FastAPI or Starlette."""

from __future__ import annotations

import subprocess
import sys


def test_the_worker_loads_no_web_framework() -> None:
    probe = (
        "import sys, signoff.runtime.worker, signoff.runtime.inbound, signoff.runtime.services, "
        "signoff.migrations.metadata; "
        "print(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
