"""Prometheus metrics at /metrics: requests by route and status, latency, database pool use,
cache outcomes and circuit-breaker state.

Under gunicorn with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it), every worker writes
its samples to that directory and a scrape of any worker reads them all.
"""

from typing import Any

from flask import Flask, Request
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import Engine, event

from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.web import request_log


def route(_request: Request) -> str:
    # The exporter names the label after this function.
    return request_log.route()


def init_app(app: Flask) -> None:
    """Call after every blueprint is registered. Each app gets a registry of its own, so building
    several apps in one process (as the tests do) never registers a metric twice."""
    registry = CollectorRegistry(auto_describe=True)
    app.extensions["factcheck.metrics"] = PrometheusMetrics(
        app,
        registry=registry,
        group_by=route,
        defaults_prefix="factcheck",
    )
    with app.app_context():
        _watch_pool(db.engine, registry)
    _watch_cache(app, registry)


def _watch_cache(app: Flask, registry: CollectorRegistry) -> None:
    events = Counter(
        "factcheck_cache_events",
        "Cache outcomes: hits (local_hits of them from in-process copies), misses, errors, "
        "skipped (breaker open)",
        ["event"],
        registry=registry,
    )
    breaker_open = Gauge(
        "factcheck_cache_breaker_open",
        "Processes whose circuit breaker is skipping Redis",
        registry=registry,
        multiprocess_mode="livesum",
    )

    def record(event: str) -> None:
        if event == "breaker_open":
            breaker_open.set(1)
        elif event == "breaker_closed":
            breaker_open.set(0)
        else:
            events.labels(event).inc()

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
