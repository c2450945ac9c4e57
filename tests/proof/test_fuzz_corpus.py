"""Row 6 of issue 11: coverage-guided fuzzing of the parsers (docs/design.md §11.6).

CI replays every input of each target's corpus (tests/proof/corpus/<target>/, grown by
libFuzzer: each input reached code no earlier one did) within a per-input time budget, then
fuzzes each target briefly with atheris; `make proof` fuzzes 50,000 runs a target. A crash
is any exception but the target's documented refusal (tests/proof/fuzz/targets.py), or a
broken round trip; a hang is an input over libFuzzer's `-timeout`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.proof.fuzz.__main__ import CORPUS
from tests.proof.fuzz.targets import TARGETS
from tests.support.proof import sized

ROOT = Path(__file__).resolve().parents[2]
# An input of at most a few KiB parses in milliseconds; 2 s leaves room for a loaded CI
# machine, and libFuzzer's -timeout under `make proof` is the same.
BUDGET_S = 2.0


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_corpus_replays_within_budget(name: str) -> None:
    inputs = sorted((CORPUS / name).iterdir())
    assert inputs, f"no corpus for {name}: run `python -m tests.proof.fuzz {name}`"
    slow: list[tuple[str, float]] = []
    for path in inputs:
        started = time.perf_counter()
        TARGETS[name].run(path.read_bytes())
        spent = time.perf_counter() - started
        if spent > BUDGET_S:
            slow.append((path.name, spent))
    assert slow == []


_DONE = re.compile(r"Done (\d+) runs in (\d+) second")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_coverage_guided_fuzzing(name: str, record_property: Callable[[str, object], None]) -> None:
    runs = sized(200, 50_000)
    before = len(list((CORPUS / name).iterdir()))
    started = time.monotonic()
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.proof.fuzz",
            name,
            f"-runs={runs}",
            f"-timeout={int(BUDGET_S) * 5}",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    spent = time.monotonic() - started
    log = finished.stderr
    assert finished.returncode == 0, log[-4000:]
    done = _DONE.search(log)
    assert done, log[-4000:]
    assert int(done[1]) >= runs
    after = len(list((CORPUS / name).iterdir()))
    record_property(
        "figures",
        f"fuzz {name}: {done[1]} runs in {spent:.0f} s, 0 crashes, 0 hangs; "
        f"corpus {before} -> {after} inputs",
    )
