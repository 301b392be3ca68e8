"""structlog configuration: JSON off a terminal, readable on one; context via contextvars.

Request id, correlation id, tenant and event id are bound with
``structlog.contextvars.bind_contextvars`` by the web middleware and the consumer
runner, so every log line written while handling a request or an event carries them.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_configured = False

# Personal data must never reach a log line. Code logs ids, not people; this is the net
# under that rule: anything shaped like a mainland mobile or an 18-digit ID number is
# masked in every value, message and traceback, ours or a library's.
_PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])(?:(1[3-9]\d)\d{4}(\d{4})|(\d{4})\d{10}(\d{3}[0-9Xx]))(?![0-9A-Za-z])"
)


def redact(text: str) -> str:
    def mask(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{m.group(1)}****{m.group(2)}"
        return f"{m.group(3)}**********{m.group(4)}"

    return _PERSONAL.sub(mask, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: see :func:`redact`."""
    return {k: _redact_value(v) for k, v in event_dict.items()}


class RedactingFilter(logging.Filter):
    """The same net for standard-library loggers (uvicorn's access log carries query
    strings, e.g. a search by mobile number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure_logging(service: str, level: str = "INFO", json: bool | None = None) -> None:
    global _configured
    render_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if render_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries (aiokafka, uvicorn, alembic) log through the standard library; keep them quiet.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    _configured = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
