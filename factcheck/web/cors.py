"""CORS: any site may read public documents; no site may write through a visitor's browser.

flask-cors would add the allowance to every method of a matching route, so this small hook does
the job instead: reads get `Access-Control-Allow-Origin: *`, writes get nothing.
"""

from flask import Flask, Response, request

from factcheck.web.responses import HeaderMap

READ_METHODS = frozenset({"GET", "HEAD"})
EXPOSED = "ETag, Link, Location, X-Total-Count, X-Request-ID, Retry-After"


def add(headers: HeaderMap, method: str, preflight_method: str) -> None:
    """The CORS headers of an answer to `method` (a preflight's Access-Control-Request-Method
    is `preflight_method`); the fast lane (web/fast_lane.py) calls this too."""
    if method in READ_METHODS:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = EXPOSED
    elif method == "OPTIONS" and preflight_method.upper() in READ_METHODS:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        headers["Access-Control-Allow-Headers"] = "If-None-Match, Accept"
        headers["Access-Control-Max-Age"] = "86400"


def _allow_reads(response: Response) -> Response:
    add(
        response.headers,
        request.method,
        request.headers.get("Access-Control-Request-Method", ""),
    )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_allow_reads)
