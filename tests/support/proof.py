"""Sizes for issue 11's proofs: small in CI, full under `make proof` (``SIGNOFF_PROOF=1``)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Inputs hypothesis found failing, kept in the repository: every later run, CI's too, tries
# them first (the corpus of docs/design.md §11.6, row 6).
CORPUS = Path(__file__).resolve().parents[1] / "fuzz-corpus"


def sized(ci: int, proof: int) -> int:
    """``proof`` under `make proof`, else the CI size."""
    return proof if os.environ.get("SIGNOFF_PROOF") == "1" else ci


def fuzzing(ci: int) -> settings:
    """A fuzz target's settings: ``ci`` cases in CI, 50,000 under `make proof`."""
    return settings(
        max_examples=sized(ci, 50_000),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=DirectoryBasedExampleDatabase(CORPUS),
    )
