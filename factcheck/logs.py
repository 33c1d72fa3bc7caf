"""JSON log lines on stdout for the app, the CLI and the server; keys and credentials scrubbed.

Process-wide: `configure` sets up the root logger once, whatever number of apps the process
builds. The per-request line and its request id are web/request_log.py's.
"""

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# An API key is fck_<prefix>_<secret>; the prefix names the key without giving it away.
API_KEY = re.compile(r"\b(fck_[0-9a-f]+_)[A-Za-z0-9_-]+")
CREDENTIAL = re.compile(r"\b(Bearer|Basic)\s+[^\s\"',;]+", re.IGNORECASE)
SECRET_FIELDS = re.compile(r"authorization|api[_-]?key|password|secret|token|cookie", re.IGNORECASE)
REDACTED = "[redacted]"


class _StdoutHandler(logging.StreamHandler[Any]):
    """Writes to sys.stdout as it is at each line (like logging's lastResort does for stderr),
    so pytest's capture and gunicorn's redirection both see the lines."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return CREDENTIAL.sub(rf"\1 {REDACTED}", API_KEY.sub(rf"\1{REDACTED}", value))
    if isinstance(value, dict):
        return {key: _scrub_field(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _scrub_field(key: Any, value: Any) -> Any:
    if isinstance(key, str) and SECRET_FIELDS.search(key):
        return REDACTED
    return scrub(value)


def _redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    # The last step before rendering, so exception text and stdlib messages are covered too.
    scrubbed: dict[str, Any] = scrub(dict(event))
    return scrubbed


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


def json_formatter() -> logging.Formatter:
    """Renders structlog events and plain `logging` records alike as one JSON object a line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure(level: str) -> None:
    """Process-wide and idempotent: every app the process builds shares the root logger."""
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    # Alembic's fileConfig replaces the root handlers during `flask db upgrade`, so look again.
    if not any(isinstance(handler, _StdoutHandler) for handler in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(json_formatter())
        root.addHandler(handler)
    root.setLevel(level)
