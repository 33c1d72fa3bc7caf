"""CORS: any site may read public documents; no site may write through a visitor's browser.

flask-cors would add the allowance to every method of a matching route, so this small hook does
the job instead: reads get `Access-Control-Allow-Origin: *`, writes get nothing.
"""

from flask import Flask, Response, request

READ_METHODS = frozenset({"GET", "HEAD"})
EXPOSED = "ETag, Link, Location, X-Total-Count, X-Request-ID, Retry-After"


def _allow_reads(response: Response) -> Response:
    if request.method in READ_METHODS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
    elif request.method == "OPTIONS":
        wanted = request.headers.get("Access-Control-Request-Method", "").upper()
        if wanted in READ_METHODS:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match, Accept"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_allow_reads)
