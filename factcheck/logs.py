"""JSON log lines on stdout for the app, the CLI and the server; keys and credentials scrubbed.

Process-wide: `configure` sets up the root logger once, whatever number of apps the process
builds. The per-request line and its request id are web/request_log.py's.

The request line, one per request, is the hot one: it is built as a dict and dumped by the
request's thread (no structlog chain, no regex over every field: request_log scrubs the fields
that can hold a secret) and handed to `LINES`, whose own thread writes it, so request threads
never wait on stdout or on each other for a lock held across a write. Every other line is rare
and goes the ordinary `logging` way, scrubbed whole.
"""

import atexit
import contextvars
import json
import logging
import os
import queue
import re
import sys
import threading
import time
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
    so pytest's capture and the server's redirection both see the lines."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


# The id of the request this thread serves, which every line logged meanwhile carries. A plain
# context variable: setting it is far cheaper than structlog's bind_contextvars.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "factcheck_request_id", default=None
)


# How long a request line may wait for the writer thread.
WRITE_EVERY = 0.05


class LineWriter:
    """Writes finished lines to stdout from a thread of its own, started in the process that
    first writes (so a server that forks after loading the app writes from each worker)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._pid = 0
        self._lock = threading.Lock()
        # Held while a batch is taken and written, so that lines keep their order.
        self._writing = threading.Lock()

    def write(self, line: str) -> None:
        if self._pid != os.getpid():
            self._start()
        self._queue.put(line)

    def flush(self) -> None:
        """Write every line handed over so far, now, in the calling thread (tests, and exit)."""
        if self._pid != os.getpid():
            return  # nothing written in this process yet (a fork's copy is its parent's)
        with self._writing:
            batch: list[str] = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return
            # sys.stdout as it is now, like _StdoutHandler: pytest's capture sees the lines too.
            stream = sys.stdout
            try:
                stream.write("\n".join(batch) + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # stdout closed (at exit) or gone: nowhere left to write

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child inherits the queue but not the thread: start afresh.
            self._queue = queue.SimpleQueue()
            threading.Thread(target=self._run, name="log-writer", daemon=True).start()
            self._pid = os.getpid()

    def _run(self) -> None:
        # Wakes every WRITE_EVERY seconds and writes what came meanwhile in one go, rather than
        # waiting on the queue: a put then never has a sleeping thread to wake (a futex call
        # and a switch of the GIL per line), and a busy second costs a few writes, not one each.
        while True:
            time.sleep(WRITE_EVERY)
            self.flush()


LINES = LineWriter()
REQUEST_LOGGER = logging.getLogger("factcheck.request")


def request_line(fields: dict[str, Any]) -> None:
    """Write the request line (fields already scrubbed) when INFO is on."""
    if REQUEST_LOGGER.isEnabledFor(logging.INFO):
        LINES.write(json.dumps(fields, ensure_ascii=False, default=str))


def flush() -> None:
    LINES.flush()


def _add_request_id(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


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
    _add_request_id,
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
    if not _flush_at_exit:
        atexit.register(flush)
        _flush_at_exit.append(True)


_flush_at_exit: list[bool] = []
