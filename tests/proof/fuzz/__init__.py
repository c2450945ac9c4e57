"""Row 6 of issue 11: coverage-guided fuzzing of the parsers (docs/design.md §11.6).

`targets.py` names each target and what it may refuse with; `python -m tests.proof.fuzz`
runs one under atheris (libFuzzer) from its corpus in `tests/proof/corpus/<target>/`;
`test_fuzz_corpus.py` replays every corpus input in CI.
"""
