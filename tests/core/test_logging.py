"""Logging never blocks the caller, and a traceback is bounded and free of locals
(issue 17, item 4: one 500 rendered 718k lines on the event loop and froze the server)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from signoff.core.logging import (
    TRACEBACK_MAX_CHARS,
    bind_request,
    clear_request,
    configure_logging,
    get_logger,
)

pytestmark = pytest.mark.requirement("REQ-005")


class GatedStream(io.StringIO):
    """A stream whose writes wait for a gate, and remember which thread wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.writers: set[int] = set()

    def write(self, text: str) -> int:
        self.gate.wait(10)
        self.writers.add(threading.get_ident())
        return super().write(text)

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]


@pytest.fixture
def stream() -> Iterator[GatedStream]:
    out = GatedStream()
    configure_logging("INFO", "json", stream=out)
    try:
        yield out
    finally:
        out.gate.set()
        configure_logging("INFO", "json", background=False)  # as tests/conftest.py left it


def flush() -> None:
    # Reconfiguring stops the writer, which first writes everything still queued.
    configure_logging("INFO", "json")


def test_a_log_call_returns_while_the_writer_is_stuck(stream: GatedStream) -> None:
    log = get_logger("signoff.test")
    for n in range(50):
        log.info("line", n=n)  # would hang here if the caller wrote the line itself
    assert stream.getvalue() == ""
    stream.gate.set()
    flush()
    assert [line["n"] for line in stream.lines()] == list(range(50))
    assert threading.get_ident() not in stream.writers


def _deep(depth: int, payload: str) -> None:
    request_body = payload  # a large local, as a request handler has
    if depth == 0:
        raise ValueError(f"failed with {len(request_body)} bytes")
    _deep(depth - 1, payload)


def _log_failure(debug: bool, out: GatedStream) -> str:
    configure_logging("INFO", "json", debug=debug, stream=out)
    out.gate.set()
    try:
        _deep(200, "S" * 500_000)
    except ValueError:
        get_logger("signoff.test").exception("request.failed")
    flush()
    [line] = out.lines()
    exception = line["exception"]
    assert isinstance(exception, str)
    return exception


def test_a_traceback_is_bounded_and_shows_no_locals(stream: GatedStream) -> None:
    exception = _log_failure(False, stream)
    assert "ValueError: failed with 500000 bytes" in exception
    assert "SSSS" not in exception  # the local's value
    assert len(exception) <= TRACEBACK_MAX_CHARS + 100
    assert exception.count("in _deep") <= 30


def test_debug_shows_locals_still_bounded(stream: GatedStream) -> None:
    exception = _log_failure(True, stream)
    assert "request_body" in exception
    assert len(exception) <= TRACEBACK_MAX_CHARS + 100


def test_standard_library_records_keep_the_request_context(stream: GatedStream) -> None:
    stream.gate.set()
    bind_request(request_id="req-123")
    try:
        logging.getLogger("sqlalchemy.test").warning("from a library")
    finally:
        clear_request()
    flush()
    [line] = stream.lines()
    assert line["event"] == "from a library"
    assert line["request_id"] == "req-123"


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_uvicorn_lines_carry_no_terminal_codes(fmt: str) -> None:
    out = io.StringIO()  # not a terminal
    configure_logging("INFO", fmt, stream=out, background=False)  # type: ignore[arg-type]
    try:
        logging.getLogger("uvicorn.error").info(
            "Started server process [%d]",
            41,
            extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
        )
    finally:
        configure_logging("INFO", "json", background=False)  # as tests/conftest.py left it
    written = out.getvalue()
    assert "Started server process [41]" in written
    assert "\x1b" not in written
    assert "\\u001b" not in written
    assert "color_message" not in written
