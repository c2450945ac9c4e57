"""Structured logging: JSON lines in production, a readable console in development.

Standard-library loggers (uvicorn, SQLAlchemy, Alembic) are routed through the same
processors, so every line has the same shape and the same redaction.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, Literal

import structlog
from structlog.types import EventDict, Processor

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


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def configure_logging(level: str, fmt: Literal["json", "console"]) -> None:
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, redact_secrets]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        final = [redact_secrets]
    structlog.configure(
        processors=[
            # Drop disabled levels before any work is done on the event.
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *final,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Signoff writes its own access line with the route template and request id.
    logging.getLogger("uvicorn.access").disabled = True
    # One line per outgoing HTTP call is noise at INFO (webhooks, OIDC); failures are logged
    # by the caller with context.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    logging.getLogger("httpcore").setLevel(max(root.level, logging.WARNING))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def bind_request(**values: Any) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear_request() -> None:
    structlog.contextvars.clear_contextvars()
