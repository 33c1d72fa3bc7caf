"""Prometheus metrics at /metrics: requests by route and status, latency, database pool use,
cache outcomes and circuit-breaker state.

A request costs an integer increment, not a trip through prometheus_client: `record` adds it to
this process's tally (plain numbers under one short lock), and the tally, with the cache's own
counters, is folded into the Prometheus metrics at each scrape, and every FLUSH_EVERY seconds
when PROMETHEUS_MULTIPROC_DIR is set. Under several workers (that variable set, as the
production server does) every worker writes its samples to that directory and a scrape of any
worker reads them all: the scraped worker's own counts are current, another worker's are at most
FLUSH_EVERY seconds old (and a worker killed outright loses its last FLUSH_EVERY seconds).
"""

import atexit
import bisect
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import Engine, event

from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.web import auth

ENDPOINT_PATH = "/metrics"
EXTENSION = "factcheck.metrics"
FLUSH_EVERY = 1.0
# prometheus_client's default buckets, which the exporter used before.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
UPPER_BOUNDS = (*BUCKETS, float("inf"))
CACHE_EVENTS = ("hits", "misses", "errors", "skipped", "local_hits")
# Read once, like prometheus_client, which picks its value store when it is imported.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Tally:
    """This process's request counts since the last flush, and the cache counters last seen."""

    def __init__(self, app: Flask, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "factcheck_http_request_duration_seconds",
            "HTTP request duration in seconds",
            ["method", "route", "status"],
            registry=registry,
            buckets=BUCKETS,
        )
        self.total = Counter(
            "factcheck_http_request",
            "Total number of HTTP requests",
            ["method", "status"],
            registry=registry,
        )
        self.cache_events = Counter(
            "factcheck_cache_events",
            "Cache outcomes: hits (local_hits of them from in-process copies), misses, errors, "
            "skipped (breaker open)",
            ["event"],
            registry=registry,
        )
        self._app = weakref.ref(app)
        # (method, route, status) -> [count, seconds, one count per bucket]
        self._pending: dict[tuple[str, str, int], list[float]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._cache_seen = dict.fromkeys(CACHE_EVENTS, 0)
        self._timer_pid = 0

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        if route == ENDPOINT_PATH:
            return  # the scrape does not count itself
        bucket = 2 + bisect.bisect_left(UPPER_BOUNDS, seconds)
        key = (method, route, status)
        with self._lock:
            counts = self._pending.get(key)
            if counts is None:
                counts = self._pending[key] = [0.0] * (2 + len(UPPER_BOUNDS))
            counts[0] += 1
            counts[1] += seconds
            counts[bucket] += 1
        if self._timer_pid != os.getpid() and MULTIPROCESS:
            self._start_timer()

    def flush(self) -> None:
        """Fold what was counted since the last flush into the Prometheus metrics."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            for (method, route, status), counts in pending.items():
                # prometheus_client has no call to add n observations at once; its children's
                # values are what observe() adds to (pyproject bounds it below 1).
                child: Any = self.duration.labels(method, route, str(status))
                child._sum.inc(counts[1])
                for index, count in enumerate(counts[2:]):
                    if count:
                        child._buckets[index].inc(count)
                self.total.labels(method, str(status)).inc(counts[0])
            self._fold_cache_counters()

    def _fold_cache_counters(self) -> None:
        app = self._app()
        found = app.extensions.get(cache.EXTENSION) if app is not None else None
        if found is None:
            return
        now = {
            "hits": found.hits,
            "misses": found.misses,
            "errors": found.errors,
            "skipped": found.skipped,
            "local_hits": found.local.hits if found.local is not None else 0,
        }
        for name, value in now.items():
            if value > self._cache_seen[name]:
                self.cache_events.labels(name).inc(value - self._cache_seen[name])
            self._cache_seen[name] = value

    def _start_timer(self) -> None:
        with self._flush_lock:
            if self._timer_pid == os.getpid():
                return
            self._timer_pid = os.getpid()
        tally = weakref.ref(self)
        threading.Thread(target=_flush_every, args=(tally,), name="metrics", daemon=True).start()
        atexit.register(_flush_at_exit, tally)


def _flush_every(tally: "weakref.ref[Tally]") -> None:
    while True:
        time.sleep(FLUSH_EVERY)
        found = tally()
        if found is None:
            return
        found.flush()
        del found


def _flush_at_exit(tally: "weakref.ref[Tally]") -> None:
    found = tally()
    if found is not None:
        found.flush()


def record(app: Flask, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (web/request_log calls this for every request)."""
    tally: Tally | None = app.extensions.get(EXTENSION)
    if tally is not None:
        tally.record(method, route, status, seconds)


def init_app(app: Flask) -> None:
    """Each app gets a registry of its own, so building several apps in one process (as the
    tests do) never registers a metric twice."""
    registry = CollectorRegistry(auto_describe=True)
    app.extensions[EXTENSION] = tally = Tally(app, registry)

    def flushed_first(view: Callable[..., Any]) -> Callable[..., Any]:
        @auth.public  # Prometheus scrapes without a key (README, "Health, metrics, logs")
        def scrape(*args: Any, **kwargs: Any) -> Any:
            tally.flush()
            return view(*args, **kwargs)

        return scrape

    # The exporter only serves the scrape: its per-request metrics cost far more than a tally.
    PrometheusMetrics(
        app,
        registry=registry,
        export_defaults=False,
        path=ENDPOINT_PATH,
        metrics_decorator=flushed_first,
    )
    with app.app_context():
        _watch_pool(db.engine, registry)
    _watch_breaker(app, registry)


def _watch_breaker(app: Flask, registry: CollectorRegistry) -> None:
    breaker_open = Gauge(
        "factcheck_cache_breaker_open",
        "Processes whose circuit breaker is skipping Redis",
        registry=registry,
        multiprocess_mode="livesum",
    )

    def record(event: str) -> None:
        # Told of every cache event; only the breaker's are not in the cache's own counters.
        if event == "breaker_open":
            breaker_open.set(1)
        elif event == "breaker_closed":
            breaker_open.set(0)

    cache.observe(app, record)


def _watch_pool(engine: Engine, registry: CollectorRegistry) -> None:
    # Counted from pool events rather than read at scrape time: in multiprocess mode a scrape
    # only sees what each worker has written to its files. `livesum` adds up live workers.
    checked_out = Gauge(
        "factcheck_db_pool_checked_out",
        "Database connections in use by requests",
        registry=registry,
        multiprocess_mode="livesum",
    )
    opened = Gauge(
        "factcheck_db_pool_connections",
        "Database connections open (in use or idle in the pool)",
        registry=registry,
        multiprocess_mode="livesum",
    )
    capacity = Gauge(
        "factcheck_db_pool_capacity",
        "Connections the pools may open (size plus overflow)",
        registry=registry,
        multiprocess_mode="livesum",
    )
    pool: Any = engine.pool
    if hasattr(pool, "size") and hasattr(pool, "_max_overflow"):
        capacity.set(pool.size() + max(pool._max_overflow, 0))

    event.listen(engine, "checkout", lambda *_args: checked_out.inc())
    event.listen(engine, "checkin", lambda *_args: checked_out.dec())
    event.listen(engine, "connect", lambda *_args: opened.inc())
    event.listen(engine, "close", lambda *_args: opened.dec())
    event.listen(engine, "close_detached", lambda *_args: opened.dec())
