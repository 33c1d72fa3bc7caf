"""Rate limits: writes per API key, reads per client address (Flask-Limiter, SPEC §4).

Counters live in Redis (`REDIS_URL`) so that every worker and replica shares them; when Redis is
unreachable Flask-Limiter counts in process memory instead, and no request fails because of it.
"""

import hashlib
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from redis.backoff import NoBackoff
from redis.retry import Retry

from factcheck.storage.cache import SOCKET_TIMEOUT
from factcheck.web.errors import problem

log = logging.getLogger(__name__)

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD"]
KEY_PREFIX = "factcheck-limits"


def init_app(app: Flask, blueprints: Sequence[Blueprint]) -> Limiter:
    """A limiter per app (tests build many); its limits cover every route of `blueprints`."""
    redis_url = app.config.get("REDIS_URL")
    limiter = Limiter(
        key_func=client_address,
        storage_uri=redis_url or "memory://",
        storage_options=_redis_options() if redis_url else {},
        strategy="fixed-window",
        key_prefix=KEY_PREFIX,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        # Headers are set below: the library would also put Retry-After on successful responses
        # and overwrite the Retry-After of a 409.
        headers_enabled=False,
        enabled=bool(app.config["RATE_LIMIT_ENABLED"]),
    )
    writes = limiter.shared_limit(
        app.config["RATE_LIMIT_WRITES"], scope="writes", key_func=api_key, methods=WRITE_METHODS
    )
    reads = limiter.shared_limit(
        app.config["RATE_LIMIT_READS"], scope="reads", key_func=client_address, methods=READ_METHODS
    )
    for blueprint in blueprints:
        writes(blueprint)
        reads(blueprint)
    limiter.init_app(app)

    @app.after_request
    def rate_limit_headers(response: Response) -> Response:
        return _add_headers(limiter, response)

    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


def _redis_options() -> Any:
    # A paused Redis must cost a request one short timeout, not redis-py's retries.
    return {
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
    }


def client_address() -> str:
    # The socket peer; behind a reverse proxy, wrap the app in werkzeug's ProxyFix.
    return request.remote_addr or "unknown"


def api_key() -> str:
    """The presented credential, hashed: a valid key always maps to the same bucket, and knowing
    a key's public prefix is not enough to use up its budget. Without a key, the address counts."""
    # Only the token: "Bearer" and "bearer" must not be two budgets for one key.
    credential = request.headers.get("Authorization", "").partition(" ")[2].strip()
    if not credential:
        return "address:" + client_address()
    digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()
    return "key:" + digest[:32]


def _add_headers(limiter: Limiter, response: Response) -> Response:
    """RateLimit-Limit/-Remaining/-Reset (IETF httpapi draft) on every limited response, and
    Retry-After on a 429."""
    current = limiter.current_limit
    if current is None:
        return response
    try:
        reset_at, remaining = current.window
        reset_in = max(0, math.ceil(reset_at - time.time()))
    except Exception as error:  # a storage failure must not fail the response
        log.warning("rate limit headers skipped: %s", error)
        return response
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(remaining)
    response.headers["RateLimit-Reset"] = str(reset_in)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset_in))
    return response


def _too_many_requests(error: RateLimitExceeded) -> Response:
    return problem(
        429,
        f"Rate limit of {error.limit.limit} exceeded; retry after Retry-After seconds.",
        slug="rate-limited",
    )
