"""Run one fuzz target under atheris: ``python -m tests.proof.fuzz TARGET [libFuzzer args]``.

The target's corpus is ``tests/proof/corpus/<target>/``: libFuzzer starts from it and adds
every input that reaches new code. `tests/proof/test_fuzz_corpus.py` runs this for
`make proof` (50,000 runs a target) and prints libFuzzer's figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# Coverage is fed back from Signoff's own code only: markdown-it's, PyYAML's and defusedxml's
# branches are their projects' to fuzz, and every instrumented line costs each run time.
INSTRUMENTED = ["signoff"]


def main(argv: list[str]) -> None:
    name, *libfuzzer = argv[1:]
    with atheris.instrument_imports(include=INSTRUMENTED):
        from tests.proof.fuzz.targets import TARGETS
    target = TARGETS[name]
    corpus = CORPUS / name
    corpus.mkdir(parents=True, exist_ok=True)
    # A crashing input is written to build/fuzz/ (not the work tree's root); kept in the
    # corpus once fixed, it is the regression test.
    artifacts = CORPUS.parents[2] / "build" / "fuzz"
    artifacts.mkdir(parents=True, exist_ok=True)
    args = [
        argv[0],
        f"-max_len={target.max_len}",
        f"-artifact_prefix={artifacts}/{name}-",
        *libfuzzer,
        str(corpus),
    ]
    atheris.Setup(args, target.run)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
