"""In-process CPU per request: the service against bare Flask serving the same bytes.

Not a test and not a load test: each case calls the WSGI app directly N times in this one process
(no server, no sockets, no client), and reports the process's CPU time per request
(`time.process_time`, so the log writer's thread counts too). The figure is steady on a loaded
machine, where wall-clock benchmarks are not; `make bench` measures the production server.

  bare          a Flask app of its own: one route answering the ClaimReview's bytes with the same
                ETag and Cache-Control
  cached        GET /api/v1/fact-checks/{id}/claimreview (and the fact-check's JSON), from the cache
  304           the same with If-None-Match
  redis down    the same after the bench stopped its redis-server: the fast lane's stored read

each with rate limits off and on (on: the production budget raised so nothing is refused), and
with --hooks, the CPU each request hook takes on the normal path (the fast lane off).

    .venv/bin/python bench/request_cost.py [-n 3000] [--hooks] [--multiprocess]
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def prepare(url: str) -> int:
    """Migrate and seed; return a published fact-check's id."""
    from flask_migrate import upgrade

    from factcheck import create_app
    from factcheck.core import seed
    from factcheck.storage import store
    from factcheck.storage.db import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        list(seed.load_directory(ROOT / "seeds"))
        checks, _ = store.fact_checks(None, 1, 1, store.FactCheckFilter(None, None, None))
        found = int(checks[0].id)
        db.engine.dispose()
    # Alembic's fileConfig put a console handler of its own on the root logger; a server has
    # only the service's.
    logging.getLogger().handlers.clear()
    return found


def environ_for(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, headers=headers or {})
    environ: dict[str, Any] = builder.get_environ()
    builder.close()
    environ["REMOTE_ADDR"] = "192.0.2.7"
    return environ


def call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answered: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> Any:
        answered.extend((status, dict(headers)))
        return lambda _data: None

    chunks = app(dict(environ), start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answered[0], answered[1], body


def cpu_per_request(app: WsgiApp, environ: dict[str, Any], count: int) -> float:
    """Microseconds of process CPU per request, after a warm-up."""
    for _ in range(min(200, count)):
        call(app, environ)
    started = time.process_time()
    for _ in range(count):
        call(app, environ)
    return (time.process_time() - started) / count * 1e6


def bare_app(body: bytes, etag: str, media_type: str) -> WsgiApp:
    from flask import Flask, Response, request

    bare = Flask("bare")

    @bare.get("/bare")
    def constant() -> Response:
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
        if request.if_none_match.contains_weak(etag.strip('"')):
            return Response(status=304, headers=headers)
        return Response(body, mimetype=media_type, headers=headers)

    return bare


class HookTimer:
    """Wraps every before/after_request function of an app to add up the CPU each one takes."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, name: str, hook: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.thread_time()
            try:
                return hook(*args)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.thread_time() - started

        return timed

    def install(self, flask_app: Any) -> None:
        for kind in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs"):
            for blueprint, hooks in getattr(flask_app, kind).items():
                hooks[:] = [
                    self.wrap(f"{kind.split('_')[0]} {blueprint or 'app'}:{_name(hook)}", hook)
                    for hook in hooks
                ]


def _name(hook: Any) -> str:
    module = getattr(hook, "__module__", "") or ""
    return f"{module.rsplit('.', 1)[-1]}.{getattr(hook, '__qualname__', repr(hook))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per case")
    parser.add_argument("--hooks", action="store_true", help="CPU per request hook as well")
    parser.add_argument(
        "--multiprocess", action="store_true", help="with PROMETHEUS_MULTIPROC_DIR set"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-cost-"))
    if args.multiprocess:
        # Before prometheus_client is imported: it picks its value store then.
        (workdir / "metrics").mkdir()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics")

    sys.path.insert(0, str(ROOT / "tests"))
    from redis_server import RedisServer

    redis_server = RedisServer()
    redis_server.start()
    url = f"sqlite:///{workdir / 'cost.db'}"
    fact_check_id = prepare(url)
    # The log lines go where a server's would, not into this report.
    sink = open(os.devnull, "w")  # noqa: SIM115
    real_stdout, sys.stdout = sys.stdout, sink
    try:
        results = measure(args, url, redis_server, fact_check_id)
    finally:
        from factcheck import logs

        logs.flush()
        sys.stdout = real_stdout
        redis_server.stop()
    for line in results:
        print(line)


def measure(args: Any, url: str, redis_server: Any, fact_check_id: int) -> list[str]:
    from factcheck import create_app
    from factcheck.storage import cache

    redis_url = redis_server.url

    claimreview = f"/api/v1/fact-checks/{fact_check_id}/claimreview"
    json_path = f"/api/v1/fact-checks/{fact_check_id}"
    lines: list[str] = []
    built: dict[bool, Any] = {}
    for limits_on in (False, True):
        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "SITE_URL": "https://factcheck.example",
                "RATE_LIMIT_ENABLED": limits_on,
                # Production's limits, with a budget nothing in this run uses up.
                "RATE_LIMIT_READS": "100000000 per minute",
                "CACHE_REPLAY_INTERVAL": 0,
            }
        )
        built[limits_on] = app
    status, headers, body = call(built[False], environ_for(claimreview))
    assert status.startswith("200"), status
    etag = headers["ETag"]
    bare = bare_app(body, etag, headers["Content-Type"])
    bare_cost = cpu_per_request(bare, environ_for("/bare"), args.n)
    bare_304 = cpu_per_request(bare, environ_for("/bare", {"If-None-Match": etag}), args.n)
    lines.append(f"{'case':<34}{'us/request':>12}{'x bare':>9}")
    lines.append(f"{'bare Flask 200':<34}{bare_cost:>12.1f}{1:>9.2f}")
    lines.append(f"{'bare Flask 304':<34}{bare_304:>12.1f}{1:>9.2f}")
    for limits_on, app in built.items():
        limits = "limits on" if limits_on else "limits off"
        _, json_headers, _ = call(app, environ_for(json_path))
        cases = {
            f"cached claimreview, {limits}": (environ_for(claimreview), bare_cost),
            f"cached fact-check, {limits}": (environ_for(json_path), bare_cost),
            f"304 claimreview, {limits}": (
                environ_for(claimreview, {"If-None-Match": etag}),
                bare_304,
            ),
            f"304 fact-check, {limits}": (
                environ_for(json_path, {"If-None-Match": json_headers["ETag"]}),
                bare_304,
            ),
        }
        for name, (environ, baseline) in cases.items():
            cost = cpu_per_request(app, environ, args.n)
            lines.append(f"{name:<34}{cost:>12.1f}{cost / baseline:>9.2f}")
    if args.hooks:
        lines.extend(hook_costs(built[True], environ_for(claimreview), args.n))
    # Redis stopped: the fast lane answers from the stored documents (one primary-key read).
    redis_server.stop()
    for limits_on, app in built.items():
        limits = "limits on" if limits_on else "limits off"
        with app.app_context():
            cache.ping()  # opens the breaker, as any request's first failure would
        call(app, environ_for(json_path))  # the limiter finds its storage dead: memory from here
        _, json_headers, _ = call(app, environ_for(json_path))
        cases = {
            f"redis down claimreview, {limits}": (environ_for(claimreview), bare_cost),
            f"redis down fact-check, {limits}": (environ_for(json_path), bare_cost),
            f"redis down 304 claimreview, {limits}": (
                environ_for(claimreview, {"If-None-Match": etag}),
                bare_304,
            ),
        }
        for name, (environ, baseline) in cases.items():
            status, _, _ = call(app, environ)
            assert status[:3] in {"200", "304"}, (name, status)
            cost = cpu_per_request(app, environ, args.n)
            lines.append(f"{name:<34}{cost:>12.1f}{cost / baseline:>9.2f}")
    return lines


def hook_costs(app: Any, environ: dict[str, Any], count: int) -> list[str]:
    """CPU per request of each hook, on the normal path: the fast lane, if any, is skipped."""
    app.extensions["factcheck.fast_lane"].enabled = False
    timer = HookTimer()
    timer.install(app)
    cpu_per_request(app, environ, 200)
    timer.spent.clear()
    total = cpu_per_request(app, environ, count)
    lines = [f"hooks, normal path, limits on (total {total:.1f} us/request):"]
    for name, spent in sorted(timer.spent.items(), key=lambda item: -item[1]):
        lines.append(f"  {spent / count * 1e6:>8.1f}  {name}")
    return lines


if __name__ == "__main__":
    main()
