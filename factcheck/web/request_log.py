"""One JSON line per request, and the request id that ties every line of a request together."""

import re
import time
import uuid

import structlog
from flask import Flask, Response, g, request

from factcheck import logs

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a client or proxy: enough for a UUID or a trace id, nothing to inject.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

log = structlog.get_logger("factcheck.request")


def request_id() -> str:
    """The id of the current request: the caller's X-Request-ID when sane, else a new one."""
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if SANE_REQUEST_ID.match(offered) else uuid.uuid4().hex
    return str(g.request_id)


def route() -> str:
    """The matched URL rule, not the path: ids in paths would make every line and label unique."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def _start() -> None:
    g.started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id())


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    duration = time.perf_counter() - g.get("started", time.perf_counter())
    log.info(
        "request",
        method=request.method,
        route=route(),
        status=response.status_code,
        duration_ms=round(duration * 1000, 3),
    )
    return response


def _forget(_error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def init_app(app: Flask) -> None:
    logs.configure(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
