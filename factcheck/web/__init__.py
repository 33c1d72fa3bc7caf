"""HTTP only: requests in, responses out. Views call core use cases; nothing here is imported by
core or storage.

The order of init_app below matters: Flask runs after_request hooks in reverse order of
registration, so the request log (first) sees the final response, the security headers
(second) have the last word on Cache-Control, and metrics (last) wraps every
route registered before it. The fast lane comes after everything: it is the outermost WSGI layer,
in front of Flask, and answers public cached reads with the same functions these hooks call.
"""

from flask import Flask

from factcheck.web import (
    api,
    auth,
    cors,
    errors,
    fast_lane,
    faults,
    health,
    metrics,
    openapi,
    pages,
    prefix,
    rate_limits,
    request_limits,
    request_log,
    responses,
    security_headers,
)


def init_app(app: Flask) -> None:
    request_log.init_app(app)
    request_limits.init_app(app)  # 414/431 before any other hook reads the request
    security_headers.init_app(app)  # early, so it runs late: after every view and hook
    responses.init_app(app)
    api.init_app(app, openapi.init_app(app))
    pages.init_app(app)
    errors.init_app(app)  # after flask-smorest's Api, so that these handlers replace its own
    auth.init_app(app)  # deny by default: a route whose view declares no requirement is closed
    rate_limits.init_app(app, api.LIMITED)
    cors.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    prefix.init_app(app)
    faults.init_app(app)
    fast_lane.init_app(app)
