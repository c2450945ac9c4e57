"""Structured logging: JSON lines in production, a readable console in development.

Standard-library loggers (uvicorn, SQLAlchemy, Alembic) are routed through the same
processors, so every line has the same shape and the same redaction.

Logging never blocks the event loop: a call only puts the record on a bounded queue, and a
thread formats and writes it (``logging.handlers.QueueListener``); when the queue is full,
records are dropped and counted rather than waited for. A traceback is bounded in frames and
characters, and shows local variables only with ``--debug`` (``SIGNOFF_DEBUG``): one 500 whose
locals held a large request once rendered 718k lines on the event loop and froze the server
for minutes.
"""

from __future__ import annotations

import atexit
import functools
import io
import logging
import logging.handlers
import queue
import re
import sys
import threading
import traceback
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import structlog
from opentelemetry import trace
from structlog.types import EventDict, ExcInfo, Processor

# Bounds on one traceback: the frames nearest the error are the useful ones.
TRACEBACK_MAX_FRAMES = 30
TRACEBACK_MAX_CHARS = 20_000
QUEUE_SIZE = 10_000
# The attribute of a standard-library record that carries its request context to the writer.
_CONTEXT = "signoff_context"

REDACTED = "[redacted]"

# Keys whose values are credentials wherever they appear in an event, at any depth.
_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|authorization|api[_-]?key|cookie|credential|signature|"
    r"private[_-]?key|client[_-]?secret|dsn|database_url)",
    re.IGNORECASE,
)
# Bearer tokens and URL passwords inside free text (exception messages, URLs).
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")


def redact_text(text: str) -> str:
    # Most strings hold neither a URL nor an auth header: skip the regexes for them.
    lowered = text.lower()
    if "://" in lowered:
        text = _URL_PASSWORD.sub(r"\1" + REDACTED + r"\3", text)
    if "bearer" in lowered or "basic" in lowered:
        text = _BEARER.sub(r"\1 " + REDACTED, text)
    return text


@functools.lru_cache(maxsize=1024)
def _is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def _redact_value(key: str, value: Any) -> Any:
    if _is_secret_key(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    for key in list(event_dict):
        if key in ("event", "exception"):
            value = event_dict[key]
            if isinstance(value, str):
                event_dict[key] = redact_text(value)
            continue
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


def bounded_traceback(exc_info: ExcInfo, *, show_locals: bool = False) -> str:
    """A traceback of at most ``TRACEBACK_MAX_FRAMES`` frames per exception and
    ``TRACEBACK_MAX_CHARS`` characters, the start and the end kept; locals only on request."""
    if show_locals:
        out = io.StringIO()
        structlog.dev.RichTracebackFormatter(
            show_locals=True,
            max_frames=TRACEBACK_MAX_FRAMES,
            locals_max_length=10,
            locals_max_string=200,
            width=120,
            color_system=None,
        )(out, exc_info)
        text = out.getvalue()
    else:
        text = "".join(
            traceback.TracebackException(
                *exc_info, limit=-TRACEBACK_MAX_FRAMES, compact=True
            ).format()
        )
    if len(text) <= TRACEBACK_MAX_CHARS:
        return text
    half = TRACEBACK_MAX_CHARS // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut} characters of the traceback left out ...]\n{text[-half:]}"


def _exc_info_tuple(value: Any) -> ExcInfo | None:
    if isinstance(value, BaseException):
        return (type(value), value, value.__traceback__)
    if isinstance(value, tuple) and len(value) == 3 and value[0] is not None:
        return value
    if value is True:
        current = sys.exc_info()
        return current if current[0] is not None else None
    return None


def _capture_exc_info(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """``log.exception()`` says ``exc_info=True``, which means "the exception being handled
    now": resolve it on the caller's thread, before the record goes to the writer's."""
    if "exc_info" in event_dict:
        event_dict["exc_info"] = _exc_info_tuple(event_dict["exc_info"])
    return event_dict


def _exception_renderer(show_locals: bool) -> Processor:
    def render(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        exc_info = _exc_info_tuple(event_dict.pop("exc_info", None))
        if exc_info is not None:
            event_dict["exception"] = bounded_traceback(exc_info, show_locals=show_locals)
        return event_dict

    return render


def _merge_record_context(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """Standard-library records are formatted on the writer thread: the request context they
    were logged in travels with the record (see ``_QueueHandler.prepare``)."""
    context = event_dict.pop(_CONTEXT, None)  # put there by ExtraAdder, from the record
    if context is None:
        context = getattr(event_dict.get("_record"), _CONTEXT, None)
    if context:
        for key, value in context.items():
            event_dict.setdefault(key, value)
    return event_dict


def trace_ids() -> dict[str, str]:
    """The current OpenTelemetry trace and span ids, when a span is recording (tracing is
    configured, design §13.3): every line logged within a traced request carries them."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }


def _add_trace_ids(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    for key, value in trace_ids().items():
        event_dict.setdefault(key, value)
    return event_dict


def _drop_color_message(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """uvicorn passes its message again with terminal colour codes (``extra=color_message``)
    for its own formatter: in JSON, and in files, it is noise of escape codes."""
    event_dict.pop("color_message", None)
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        _add_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


class _QueueHandler(logging.handlers.QueueHandler):
    """Hands records to the writer thread as they are: formatting (tracebacks included)
    happens there, not on the caller's thread. Never waits: a full queue drops the record,
    and the next record that gets through reports how many were lost."""

    def __init__(self, records: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(records)
        self.dropped = 0
        self._lock = threading.Lock()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if not isinstance(record.msg, dict):  # a standard-library record
            context = structlog.contextvars.get_contextvars() | trace_ids()
            setattr(record, _CONTEXT, context)
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            if self.dropped:
                with self._lock:
                    dropped, self.dropped = self.dropped, 0
                self.queue.put_nowait(_dropped_record(dropped))
            self.queue.put_nowait(record)
        except queue.Full:
            with self._lock:
                self.dropped += 1


def _dropped_record(count: int) -> logging.LogRecord:
    return logging.LogRecord(
        "signoff.logging",
        logging.WARNING,
        __file__,
        0,
        "log.dropped: %d records were dropped because the log writer fell behind",
        (count,),
        None,
    )


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when the line is written (test runners swap it),
    not to the one there was when logging was configured."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_listener: logging.handlers.QueueListener | None = None


def _stop_listener() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()  # writes what is still queued
        _listener = None


def flush_logging() -> None:
    """Write everything queued, and from now on write on the caller's thread. For a process
    about to end by a signal (uvicorn re-raises SIGTERM after its shutdown), where exit
    handlers do not run and queued lines would be lost."""
    listener = _listener
    if listener is None:
        return
    writers = list(listener.handlers)
    _stop_listener()
    logging.getLogger().handlers[:] = writers


def configure_logging(
    level: str,
    fmt: Literal["json", "console"],
    *,
    debug: bool = False,
    stream: TextIO | None = None,
    background: bool = True,
) -> None:
    """Route every log record through the queue to a writer thread; ``debug`` shows local
    variables in tracebacks; ``stream`` (default: standard error) is where lines go.
    ``background=False`` writes on the caller's thread instead (a test runner that captures
    each test's output wants each line written within its test)."""
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=(stream or sys.stderr).isatty())
    structlog.configure(
        processors=[
            # Drop disabled levels before any work is done on the event.
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            _capture_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), _drop_color_message, _merge_record_context],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _exception_renderer(show_locals=debug),
            redact_secrets,
            renderer,
        ],
    )
    # No line shows where it was logged from, nor the thread or process: the standard
    # library's knobs (logging HOWTO, "Optimization") skip collecting them for each record,
    # which walked the stack on every access line (py-spy, issue 16).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    writer = logging.StreamHandler(stream) if stream is not None else _StandardError()
    writer.setFormatter(formatter)
    global _listener
    _stop_listener()
    root = logging.getLogger()
    if not background:
        root.handlers[:] = [writer]
        root.setLevel(level)
        _quiet_libraries(root.level)
        return
    records: queue.Queue[logging.LogRecord] = queue.Queue(QUEUE_SIZE)
    _listener = logging.handlers.QueueListener(records, writer)
    _listener.start()
    atexit.register(_stop_listener)
    root.handlers[:] = [_QueueHandler(records)]
    root.setLevel(level)
    _quiet_libraries(root.level)


def _quiet_libraries(level: int) -> None:
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Signoff writes its own access line with the route template and request id.
    logging.getLogger("uvicorn.access").disabled = True
    # One line per outgoing HTTP call is noise at INFO (webhooks, OIDC); failures are logged
    # by the caller with context.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("httpcore").setLevel(max(level, logging.WARNING))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def bind_request(**values: Any) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear_request() -> None:
    structlog.contextvars.clear_contextvars()
