"""What the codec writes reads back the same (found by the fuzzer: tests/proof/corpus/tables,
the `regression-*` inputs)."""

from __future__ import annotations

from signoff.registers.codec import read_rows, write_rows
from signoff.registers.kinds import QUESTIONS, RISKS


def test_an_optional_column_no_row_fills_reads_as_no_value() -> None:
    body = (
        "| Question | Owner | Target Resolution Date | Status |\n"
        "|---|---|---|---|\n"
        "| Do we need webhooks? | Maya | 2027-01-31 | |\n"
    )
    rows = read_rows(QUESTIONS, body)
    assert rows == [
        {"question": "Do we need webhooks?", "owner": "Maya", "target_date": "2027-01-31"}
    ]
    assert read_rows(QUESTIONS, write_rows(QUESTIONS, body, rows)) == rows


def test_a_required_column_the_table_lacks_reads_as_empty() -> None:
    body = "| Risk | Impact | Mitigation |\n|---|---|---|\n| Peak season | High | Pre-scale |\n"
    rows = read_rows(RISKS, body)
    assert rows == [
        {"risk": "Peak season", "likelihood": "", "impact": "High", "mitigation": "Pre-scale"}
    ]
    assert read_rows(RISKS, write_rows(RISKS, body, rows)) == rows


def test_a_carriage_return_does_not_move_the_table() -> None:
    body = (
        "text\r\rmore\n\n"
        "| Risk | Likelihood | Impact | Mitigation |\n|---|---|---|---|\n| R | L | I | M |\n"
    )
    assert read_rows(RISKS, body) == [
        {"risk": "R", "likelihood": "L", "impact": "I", "mitigation": "M"}
    ]
