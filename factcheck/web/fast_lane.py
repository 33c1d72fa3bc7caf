"""The fast lane: public cached reads answered in front of Flask (issue 13).

A GET or HEAD of a public document the read path serves from the cache (a fact-check's JSON, its
ClaimReview, an article's ClaimReviews, an organization) is looked up here, in this process's
copy and then in Redis, and answered without Flask's request, its hooks, flask-smorest or the
view, with the same bytes and headers: the headers come from the functions the hooks call
(responses.document_headers, cors.add, rate_limits.add_headers, security_headers.add), the log
line and the metrics from request_log.finished, the rate-limit decision from
rate_limits.count_public_read (the same budget, keys and storage as Flask-Limiter's).

Anything else falls through to the normal path unchanged: another method or route, a query
string, a SCRIPT_NAME, an Authorization or If-Match header, a malformed If-None-Match, a request
over the size limits, a miss (it is counted once, by the normal path), a read over its budget or
a rate-limit storage that failed (the normal path answers the 429 or counts in memory).

Redis down (the cache's breaker not closed, or no Redis at all): a fact-check's JSON or
ClaimReview is answered from its stored document (storage/stored_documents.py, one primary-key
read on a pooled connection), the bytes the normal path would serve, counted against the budget
in Flask-Limiter's in-memory fallback as the normal path would; another route, a document with
no row (a retracted fact-check's ClaimReview, a draft) or a database fault goes the normal way.
What is read from the database fills nothing: Redis is down, and this process's copies live only
while it is up. A miss while Redis is up goes the normal way, whose fill is guarded against a
concurrent write by the document's generation.
"""

import re
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from flask import Flask
from werkzeug.http import parse_etags
from werkzeug.utils import get_content_type

from factcheck import logs
from factcheck.storage import cache, stored_documents
from factcheck.storage.cache import names, read_through
from factcheck.web import cors, rate_limits, request_limits, request_log, responses
from factcheck.web import security_headers as security
from factcheck.web.api.blueprint import MAX_ID

EXTENSION = "factcheck.fast_lane"
READS = frozenset({"GET", "HEAD"})
# What a request with any of these needs the normal path for.
FALL_THROUGH_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_IF_MATCH")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Route(NamedTuple):
    endpoint: str
    pattern: re.Pattern[str]
    name: Callable[[str], str]  # the cache name of the document at the path's value
    stored: bool  # whether the document is kept in the database (core/published.py)


ID = r"([1-9][0-9]{0,9})"
# The organization schema's slugs (schemas/organizations.SLUG); any other goes the normal way.
SLUG = r"([a-z0-9]+(?:-[a-z0-9]+)*)"
ROUTES = (
    Route(
        "fact_checks.FactCheckResource",
        re.compile(rf"/api/v1/fact-checks/{ID}"),
        lambda value: names.fact_check(int(value)).json,
        True,
    ),
    Route(
        "fact_checks.FactCheckClaimReview",
        re.compile(rf"/api/v1/fact-checks/{ID}/claimreview"),
        lambda value: names.fact_check(int(value)).claimreview,
        True,
    ),
    Route(
        "articles.ArticleClaimReviews",
        re.compile(rf"/api/v1/articles/{ID}/claimreview"),
        lambda value: names.article(int(value)).claimreviews,
        False,
    ),
    Route(
        "organizations.OrganizationResource",
        re.compile(rf"/api/v1/organizations/{SLUG}"),
        names.organization,
        False,
    ),
)


class FastLane:
    """WSGI middleware in front of the app; `enabled` off sends everything the normal way."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.enabled = True
        # Each route's URL rule, as the normal path logs and labels it; a route the app does
        # not have (renamed, removed) is simply not served here.
        rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
        self.routes = [
            (route, rules[route.endpoint]) for route in ROUTES if route.endpoint in rules
        ]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        answer = self._answer(environ) if self.enabled else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        served: Iterable[bytes] = answer(environ, start_response)
        return served

    def _answer(self, environ: dict[str, Any]) -> Any:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if (
            method not in READS
            or not path.startswith("/api/v1/")
            or environ.get("QUERY_STRING")
            or environ.get("SCRIPT_NAME")
            or any(header in environ for header in FALL_THROUGH_HEADERS)
        ):
            return None
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None and not responses.VALIDATOR_LIST.fullmatch(if_none_match):
            return None  # the normal path's 400
        found = self._route(path)
        if found is None or self._too_large(environ):
            return None
        started = time.perf_counter()
        route, rule, name = found
        with self.app.app_context():
            document = read_through.cached(name)
            redis_down = False
            if document is None:
                # health() may run the breaker's probe: the lane's reads end the outage too.
                if not route.stored or cache.health() == "ok":
                    return None  # a miss: the normal path builds and fills
                document = stored_documents.get_outside_session(name)
                redis_down = True
            if document is None or not document.public:
                return None
            window = rate_limits.count_public_read(
                self.app, environ.get("REMOTE_ADDR") or "unknown", redis_down
            )
            if window is None:
                return None
            return self._respond(environ, route, rule, document, window, started)

    def _route(self, path: str) -> tuple[Route, str, str] | None:
        for route, rule in self.routes:
            match = route.pattern.fullmatch(path)
            if match is not None:
                value = match[1]
                if value.isdigit() and int(value) > MAX_ID:
                    return None
                return route, rule, route.name(value)
        return None

    def _too_large(self, environ: dict[str, Any]) -> bool:
        """Over request_limits' limits: the normal path answers 414 or 431."""
        config = self.app.config
        if request_limits.request_line_length(environ) > config["MAX_REQUEST_LINE"]:
            return True
        fields = request_limits.header_fields(environ)
        return len(fields) > config["MAX_HEADER_FIELDS"] or any(
            length > config["MAX_HEADER_FIELD_SIZE"] for _name, length in fields
        )

    def _respond(
        self,
        environ: dict[str, Any],
        route: Route,
        rule: str,
        document: Any,
        window: rate_limits.ReadWindow,
        started: float,
    ) -> WsgiApp:
        method = environ["REQUEST_METHOD"]
        request_id = request_log.offered_or_new(environ.get("HTTP_X_REQUEST_ID", ""))
        token = logs.REQUEST_ID.set(request_id)
        try:
            if_none_match = environ.get("HTTP_IF_NONE_MATCH")
            current = if_none_match is not None and responses.is_current(
                document.etag, parse_etags(if_none_match)
            )
            status = 304 if current else 200
            # A plain dict, not Werkzeug's Headers: each value here is the service's own (the
            # request id is checked by request_log), so Headers' per-value checks buy nothing.
            headers = responses.document_headers(document)
            body = b"" if current else document.body
            if not current:
                # What Werkzeug's Response(body, mimetype=...) sets; a 304 carries neither.
                headers["Content-Type"] = get_content_type(document.media_type, "utf-8")
                headers["Content-Length"] = str(len(body))
            # In the order the normal path's after_request hooks run (web/__init__.py).
            cors.add(headers, method, "")
            if window is not rate_limits.UNLIMITED:
                rate_limits.add_headers(
                    headers, status, window.amount, window.remaining, window.reset_at
                )
            security.add(
                headers,
                status,
                method,
                route.endpoint,
                False,
                environ.get("wsgi.url_scheme") in {"https", "wss"},
                self.app.config.get("HSTS_MAX_AGE", 0),
            )
            headers[request_log.REQUEST_ID_HEADER] = request_id
            request_log.finished(
                self.app, environ, rule, status, None if current else len(body), started, request_id
            )
        finally:
            logs.REQUEST_ID.reset(token)
        status_line = STATUS_LINES[status]
        chunks = [] if current or method == "HEAD" else [body]
        header_list = list(headers.items())

        def answer(_environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            start_response(status_line, header_list)
            return chunks

        return answer


# Werkzeug's status lines, which the normal path sends.
STATUS_LINES = {200: "200 OK", 304: "304 NOT MODIFIED"}


def init_app(app: Flask) -> None:
    """Last, after every blueprint and middleware: the lane is the outermost WSGI layer."""
    lane = FastLane(app, app.wsgi_app)
    app.extensions[EXTENSION] = lane
    app.wsgi_app = lane  # type: ignore[method-assign]
