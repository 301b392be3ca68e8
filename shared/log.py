"""structlog configuration: JSON off a terminal, readable on one; context via contextvars.

Request id, correlation id, tenant and event id are bound with
``structlog.contextvars.bind_contextvars`` by the web middleware and the consumer
runner, so every log line written while handling a request or an event carries them.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO, cast

import structlog

_configured = False

# Personal data and secrets must never reach a log line. Code logs ids, not people; this
# is the net under that rule, applied to every value, message, traceback and exception
# chain, ours or a library's (an asyncpg error quotes the row it refused).
_SEP = r"(?:[\s\-+]|%20)?"  # how people (and URL encoding) split a number into groups
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])"
    rf"(?:(?:\+|%2[Bb]|00)?86{_SEP})?"  # +86, 0086 or 86 in front, as typed or URL-encoded
    rf"(1[3-9]\d){_SEP}\d{{4}}{_SEP}(\d{{4}})"
    r"(?![0-9A-Za-z])"
)
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(\d{{4}})\d{{2}}{_SEP}\d{{8}}{_SEP}(\d{{3}}[0-9Xx])(?![0-9A-Za-z])"
)
_SECRETS = [
    # argon2 password hashes: everything after the algorithm name
    (re.compile(r"\$argon2(id|i|d)\$[^\s'\"]*"), r"$argon2\1$***"),
    # refresh tokens and unit API keys (``gjr_`` / ``gjk_`` + urlsafe base64)
    (re.compile(r"\b(gj[kr])_[A-Za-z0-9_\-]+"), r"\1_***"),
    # signed access tokens (JWT: base64url parts, the first always "eyJ")
    (re.compile(r"\beyJ[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*){0,2}"), "eyJ***"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9_\-.~+/=]{16,}"), r"\1 ***"),
]
# What PostgreSQL and asyncpg quote back in their error messages: the refused row, the
# clashing key's values, the value of a bad query argument. SQLAlchemy's rendering of
# statement parameters is hidden by the engine (``hide_parameters``), and masked here too.
_QUOTED_VALUES = [
    (re.compile(r"(Failing row contains )\(.*\)"), r"\1(***)"),
    (re.compile(r"(Key \(.*?\)=)\(.*\)"), r"\1(***)"),
    (re.compile(r"(invalid input for query argument \$\d+: )(?:.*(?= \(\w)|.*)"), r"\1***"),
    (re.compile(r"(\[parameters: ).*"), r"\1***]"),
]


def redact(text: str) -> str:
    for pattern, replacement in (*_SECRETS, *_QUOTED_VALUES):
        text = pattern.sub(replacement, text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _ID_NUMBER.sub(lambda m: f"{m.group(1)}**********{m.group(2)}", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, BaseException):
        return redact(repr(value))
    return value


def redact_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: see :func:`redact`. Runs after ``format_exc_info``, so the
    rendered traceback (with its whole exception chain) is masked too."""
    return {k: _redact_value(v) for k, v in event_dict.items()}


_make_record = logging.getLogRecordFactory()
_traceback_formatter = logging.Formatter()


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """The same net for standard-library loggers (uvicorn, SQLAlchemy, aiokafka, a
    traceback logged by any library), applied when the record is made: whatever handler
    or formatter then writes it (pytest's capture included) sees only masked text. The
    traceback is rendered here, masked, and kept as ``exc_text``, which every
    ``logging.Formatter`` prints instead of rendering ``exc_info`` again."""
    record = _make_record(*args, **kwargs)
    try:
        record.msg = redact(record.getMessage())
        record.args = None
    except Exception:  # a malformed call: logging reports it when the record is written
        return record
    if record.exc_info:
        record.exc_text = redact(_traceback_formatter.formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class _CurrentStderr:
    """``sys.stderr`` as it is when a line is written, not when a logger was made: loggers
    are cached on first use, and a stream replaced later (a test's capture, say) would
    otherwise never see their lines."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


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
        # PrintLogger only ever calls write() and flush() on its file.
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries (aiokafka, uvicorn, alembic) log through the standard library; keep them quiet.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")
    logging.setLogRecordFactory(_redacted_record)
    _configured = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
