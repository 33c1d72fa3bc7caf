"""One JSON line per request, and the request id that ties every line of a request together.

The line is the only one a request gets (the server writes no access line of its own): `time`,
`level`, `logger`, `event` ("request"), `request_id`, `method`, `route`, `path`, `status`,
`bytes`, `duration_ms`, `remote_addr`, `user_agent` and `pid`. Only the fields a client writes
freely and where a key could hide are scrubbed: the path and the user agent (the query string is
never logged). The same function writes it for the fast lane (web/fast_lane.py) and for every
other request, and counts the request for /metrics on the way.
"""

import os
import random
import re
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from factcheck import logs
from factcheck.web import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a client or proxy: enough for a UUID or a trace id, nothing to inject.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def request_id() -> str:
    """The id of the current request: the caller's X-Request-ID when sane, else a new one."""
    if "request_id" not in g:
        g.request_id = offered_or_new(request.headers.get(REQUEST_ID_HEADER, ""))
    return str(g.request_id)


def offered_or_new(offered: str) -> str:
    return offered if SANE_REQUEST_ID.match(offered) else new_request_id()


def new_request_id() -> str:
    """32 hex digits, as uuid4().hex gave. An id must be unique, not secret: random's generator
    (reseeded in each forked worker) instead of os.urandom, whose system call lets go of the GIL
    and so hands the request's thread to another one mid-request."""
    return f"{random.getrandbits(128):032x}"


def route() -> str:
    """The matched URL rule, not the path: ids in paths would make every line and label unique."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def finished(
    app: Flask,
    environ: dict[str, Any],
    route_rule: str,
    status: int,
    size: int | None,
    started: float,
    request_id: str,
) -> None:
    """Log and count one answered request."""
    now = time.perf_counter()
    method = environ.get("REQUEST_METHOD", "")
    duration = now - started
    metrics.record(app, method, route_rule, status, duration)
    logs.request_line(
        {
            "time": _timestamp(),
            "level": "info",
            "logger": "factcheck.request",
            "event": "request",
            "request_id": request_id,
            "method": method,
            "route": route_rule,
            "path": logs.scrub(environ.get("PATH_INFO", "")),
            "status": status,
            "bytes": size,
            "duration_ms": round(duration * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": logs.scrub(environ.get("HTTP_USER_AGENT", "")),
            "pid": os.getpid(),
        }
    )


def _timestamp() -> str:
    # What structlog's TimeStamper(fmt="iso", utc=True) writes on the other lines.
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _start() -> None:
    g.started = time.perf_counter()
    logs.REQUEST_ID.set(request_id())


def _finish(response: Response) -> Response:
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    finished(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        request.environ,
        route(),
        response.status_code,
        response.content_length,
        g.get("started", time.perf_counter()),
        rid,
    )
    return response


def _forget(_error: BaseException | None) -> None:
    logs.REQUEST_ID.set(None)


def init_app(app: Flask) -> None:
    logs.configure(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
