"""Rate limits (Flask-Limiter, SPEC §4): writes per verified API key, reads, search, match, the feed
and oEmbed per client address, and failed authentications per client address.

Counters live in Redis (`REDIS_URL`) under the cache's namespace (`cache.namespace()`: REDIS_PREFIX
and the database's identity), so every worker and replica of one deployment shares them and no
other deployment on the same Redis does; when Redis is unreachable Flask-Limiter counts in process
memory instead, and no request fails because of it. Pages are left to the edge cache
(docs/deploy.md).

A write that presents a key has it checked before the limits run, so the write budget is the
verified key's: a made-up token is a failed authentication, counted against its sender's address
(RATE_LIMIT_AUTH_FAILURES), and past that budget every request from that address that presents
a key is 429 before the key is looked at.
"""

import logging
import math
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from flask import Blueprint, Flask, Response, g, has_app_context, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from redis.backoff import NoBackoff
from redis.retry import Retry

from factcheck.problems import Problem
from factcheck.storage import cache
from factcheck.storage.cache import SOCKET_TIMEOUT
from factcheck.web import auth, read_budget
from factcheck.web.api import feed, search
from factcheck.web.errors import problem
from factcheck.web.pages import views as pages
from factcheck.web.responses import HeaderMap

log = logging.getLogger(__name__)

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD"]
AUTH_FAILURES = "auth-failures"
EXTENSION = "factcheck.rate_limits"
# The scheme of OneTripRedisStorage: REDIS_URL with this in front.
ONE_TRIP = "factcheck+"

# A fixed window's hit and what the headers need of it, in one script: the count after the hit
# and the milliseconds until the window ends.
HIT_AND_WINDOW = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("pttl", KEYS[1])}
"""


class OneTripRedisStorage(RedisStorage):
    """limits' Redis storage, with a fixed window's hit answered in one round trip.

    limits asks for a counter (EVAL), then for the window's count and expiry to build the
    headers (GET, TTL): three round trips per limited request. Here the hit's script returns
    both, kept in the request's `g`, and `get`/`get_expiry` of the same key in the same request
    read them from there: one round trip in all. Outside a request (no app context), and for any
    key the request has not hit, they ask Redis as before.
    """

    STORAGE_SCHEME = [ONE_TRIP + "redis", ONE_TRIP + "rediss", ONE_TRIP + "unix"]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(ONE_TRIP), **options)
        self.lua_hit_and_window = self.get_connection().register_script(HIT_AND_WINDOW.encode())
        self.budget = read_budget.ReadBudget(self)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        full_key = self.prefixed_key(key)
        # This process's fast-lane reads of the counter go with it, so the answer counts them.
        pending = self.budget.take(full_key)
        try:
            count, ttl_ms = self.lua_hit_and_window([full_key], [expiry, amount + pending])
        except Exception:
            self.budget.give_back(full_key, pending)
            raise
        expires_at = time.time() + max(int(ttl_ms), 0) / 1000
        self.budget.seen(full_key, int(count), expires_at, expiry)
        if has_app_context():
            windows = g.setdefault("rate_limit_windows", {})
            windows[full_key] = (int(count), expires_at)
        return int(count)

    def add_counts(self, counts: list[tuple[str, int, int]]) -> list[tuple[int, float]]:
        """Add (prefixed key, amount, window seconds) to each counter in one round trip: each
        counter's count and window end afterwards (read_budget's sync)."""
        client: Any = self.get_connection()
        pipeline = client.pipeline(transaction=False)
        for key, amount, expiry in counts:
            self.lua_hit_and_window([key], [expiry, amount], client=pipeline)
        now = time.time()
        return [
            (int(count), now + max(int(ttl_ms), 0) / 1000) for count, ttl_ms in pipeline.execute()
        ]

    def _seen(self, key: str) -> tuple[int, float] | None:
        if not has_app_context():
            return None
        windows: dict[str, tuple[int, float]] = g.get("rate_limit_windows") or {}
        return windows.get(self.prefixed_key(key))

    def get(self, key: str) -> int:
        seen = self._seen(key)
        return seen[0] if seen is not None else int(super().get(key))

    def get_expiry(self, key: str) -> float:
        seen = self._seen(key)
        return seen[1] if seen is not None else float(super().get_expiry(key))


def init_app(app: Flask, blueprints: Sequence[Blueprint]) -> Limiter:
    """A limiter per app (tests build many). `blueprints` take API keys: their writes count per
    key, their reads per address, and a failed key per address."""
    config = app.config
    redis_url = config.get("REDIS_URL")
    limiter = Limiter(
        key_func=client_address,
        storage_uri=ONE_TRIP + redis_url if redis_url else "memory://",
        # Until the database's identity is known (_prefix_with_namespace), the deployment's name.
        storage_options=_redis_options(config.get("REDIS_PREFIX", "")) if redis_url else {},
        strategy="fixed-window",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        # Headers are set below: the library would also put Retry-After on successful responses
        # and overwrite the Retry-After of a 409.
        headers_enabled=False,
        enabled=bool(config["RATE_LIMIT_ENABLED"]),
    )
    writes = limiter.shared_limit(
        config["RATE_LIMIT_WRITES"], scope="writes", key_func=write_key, methods=WRITE_METHODS
    )
    reads = limiter.shared_limit(config["RATE_LIMIT_READS"], scope="reads", methods=READ_METHODS)
    for blueprint in blueprints:
        writes(blueprint)
        reads(blueprint)
    # Search and match share a budget: both run a full-text query.
    limiter.shared_limit(config["RATE_LIMIT_SEARCH"], scope="search", methods=READ_METHODS)(
        search.blp
    )
    limiter.shared_limit(config["RATE_LIMIT_FEED"], scope="feed", methods=READ_METHODS)(feed.blp)
    # oEmbed shares its blueprint with the pages, which the edge cache absorbs.
    limiter.shared_limit(
        config["RATE_LIMIT_OEMBED"],
        scope="oembed",
        methods=READ_METHODS,
        exempt_when=lambda: request.endpoint != "pages.oembed",
    )(pages.blp)

    app.extensions[EXTENSION] = state = {
        "limiter": limiter,
        # In the order Flask-Limiter checks them; the first one names the headers.
        "reads": sorted(parse_many(config["RATE_LIMIT_READS"])),
        "failures": parse_many(config["RATE_LIMIT_AUTH_FAILURES"]),
        "keyed": frozenset(blueprint.name for blueprint in blueprints),
        "namespaced": not redis_url,
    }
    if limiter.enabled:
        # Before Flask-Limiter's own hook, which init_app registers next.
        app.before_request(lambda: _before(state))
    limiter.init_app(app)

    @app.after_request
    def rate_limit_headers(response: Response) -> Response:
        if limiter.enabled:
            _count_failure(state, response)
        _add_headers(limiter, response)
        forget_windows()
        return response

    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


class ReadWindow(NamedTuple):
    """The window of the budget a read was counted against, for its headers."""

    amount: int
    remaining: int
    reset_at: float


# The fast lane's "no limit applies" (limits off) and "let the normal path answer".
UNLIMITED = ReadWindow(0, 0, 0.0)


def count_public_read(app: Flask, address: str, redis_down: bool = False) -> ReadWindow | None:
    """For the fast lane (in an app context, no request): count a public read from `address`
    against the reads budget, exactly as Flask-Limiter does for the LIMITED blueprints' GETs
    (same limits, in the same order, under the same keys, in the same storage or its memory
    fallback), in one round trip. UNLIMITED when limits are off; None when the read is over
    budget or the storage failed: the normal path then answers (a 429, or the fallback), and
    counts the read once more, which changes no decision (the budget is spent either way)."""
    state = app.extensions[EXTENSION]
    limiter: Limiter = state["limiter"]
    if not limiter.enabled:
        return UNLIMITED
    # Counting in memory since Redis failed: Flask-Limiter's own hook tries Redis again from
    # time to time, and only the normal path runs it. While the cache finds Redis down too
    # (`redis_down`), the lane counts in that memory as the normal path would; once the cache
    # is back its hits go the normal way until the limiter has found Redis again.
    if getattr(limiter, "_storage_dead", False):
        return _count_in_memory(state, limiter, address) if redis_down else None
    forget_windows()
    try:
        _prefix_with_namespace(state)
        storage = limiter.storage
        one_trip = storage if isinstance(storage, OneTripRedisStorage) else None
        strategy = limiter.limiter
        windows = []
        item: RateLimitItem
        for item in state["reads"]:
            # In process while this process knows the window (read_budget), else in Redis.
            key = item.key_for(address, "reads")
            local = one_trip.budget.hit(one_trip.prefixed_key(key)) if one_trip else None
            if local is None:
                if not strategy.hit(item, address, "reads"):
                    return None
                reset_at, remaining = strategy.get_window_stats(item, address, "reads")
            else:
                count, reset_at = local
                if count > item.amount:
                    return None
                remaining = item.amount - count
            windows.append(ReadWindow(item.amount, remaining, reset_at))
    except Exception:  # the normal path falls back to memory, as Flask-Limiter does
        return None
    finally:
        forget_windows()
    return windows[0]


def _count_in_memory(state: dict[str, Any], limiter: Limiter, address: str) -> ReadWindow | None:
    """The reads budget in Flask-Limiter's in-memory fallback (its fallback limiter, the same
    limits, the same keys), as its hook counts a normal-path read while the storage is dead."""
    strategy = limiter.limiter
    windows = []
    try:
        for item in state["reads"]:
            if not strategy.hit(item, address, "reads"):
                return None
            reset_at, remaining = strategy.get_window_stats(item, address, "reads")
            windows.append(ReadWindow(item.amount, remaining, reset_at))
    except Exception:
        return None
    return windows[0]


def _redis_options(redis_prefix: str) -> Any:
    # A paused Redis must cost a request one short timeout, not redis-py's retries.
    return {
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
        "key_prefix": redis_prefix + "limits",
    }


def client_address() -> str:
    # The socket peer; behind a reverse proxy, wrap the app in werkzeug's ProxyFix.
    return request.remote_addr or "unknown"


def write_key() -> str:
    """The verified API key; without one, the client's address. _before has authenticated a key
    sent with a write already (a bad one never gets here), so this asks auth for its answer."""
    try:
        actor = auth.actor_from_header()
    except Problem:
        actor = None
    if actor is not None and actor.key_id is not None:
        return f"key:{actor.key_id}"
    return "address:" + client_address()


def forget_windows() -> None:
    """Drop the windows OneTripRedisStorage kept: the next request must ask again (a test that
    holds an app context shares one `g` across its requests)."""
    g.pop("rate_limit_windows", None)


def _before(state: dict[str, Any]) -> Response | None:
    forget_windows()
    _prefix_with_namespace(state)
    if request.blueprint not in state["keyed"] or "Authorization" not in request.headers:
        return None
    refused = _failures_exhausted(state)
    if refused is not None:
        return refused
    if request.method in WRITE_METHODS:
        # A bad key is 401 here (and counted in _count_failure): no write budget is spent on it.
        auth.actor_from_header()
    return None


def _prefix_with_namespace(state: dict[str, Any]) -> None:
    """Key the counters by the cache's namespace as soon as the database has told it."""
    if state["namespaced"]:
        return
    namespace = cache.namespace()
    if namespace is not None:
        storage = state["limiter"].storage
        if hasattr(storage, "key_prefix"):
            storage.key_prefix = namespace + "limits"
        state["namespaced"] = True


def _failures_exhausted(state: dict[str, Any]) -> Response | None:
    """429 when this address has used up its budget of failed authentications."""
    strategy = state["limiter"].limiter
    address = client_address()
    item: RateLimitItem
    for item in state["failures"]:
        try:
            if strategy.test(item, AUTH_FAILURES, address):
                continue
            reset_at = strategy.get_window_stats(item, AUTH_FAILURES, address)[0]
        except Exception as error:  # a storage failure must not fail the request
            log.warning("auth failure limit skipped: %s", error)
            return None
        retry_after = str(max(1, math.ceil(reset_at - time.time())))
        return problem(
            429,
            f"Too many failed authentications from this address ({item}); "
            "retry after Retry-After seconds.",
            slug="rate-limited",
            headers={
                "Retry-After": retry_after,
                "RateLimit-Limit": str(item.amount),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": retry_after,
            },
        )
    return None


def _count_failure(state: dict[str, Any], response: Response) -> None:
    if response.status_code != 401 or "Authorization" not in request.headers:
        return
    strategy = state["limiter"].limiter
    try:
        for item in state["failures"]:
            strategy.hit(item, AUTH_FAILURES, client_address())
    except Exception as error:  # a storage failure must not fail the response
        log.warning("auth failure not counted: %s", error)


def _add_headers(limiter: Limiter, response: Response) -> Response:
    """RateLimit-Limit/-Remaining/-Reset (IETF httpapi draft) on every limited response, and
    Retry-After on a 429."""
    current = limiter.current_limit
    if current is None:
        return response
    try:
        reset_at, remaining = current.window
    except Exception as error:  # a storage failure must not fail the response
        log.warning("rate limit headers skipped: %s", error)
        return response
    add_headers(response.headers, response.status_code, current.limit.amount, remaining, reset_at)
    return response


def add_headers(
    headers: HeaderMap, status: int, amount: int, remaining: int, reset_at: float
) -> None:
    """The RateLimit-* headers of a window (and Retry-After on a 429); the fast lane's too."""
    reset_in = max(0, math.ceil(reset_at - time.time()))
    headers["RateLimit-Limit"] = str(amount)
    headers["RateLimit-Remaining"] = str(remaining)
    headers["RateLimit-Reset"] = str(reset_in)
    if status == 429:
        headers["Retry-After"] = str(max(1, reset_in))


def _too_many_requests(error: RateLimitExceeded) -> Response:
    return problem(
        429,
        f"Rate limit of {error.limit.limit} exceeded; retry after Retry-After seconds.",
        slug="rate-limited",
    )
