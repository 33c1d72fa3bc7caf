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

With --writes, the cost of bench/write_bench.py's writes instead (a draft POSTed to an article,
then its publish with the draft's ETag), -n pairs of them after a warm-up, on a fresh database
(SQLite, or the PostgreSQL database --database-url names, recreated): per write, this process's
CPU, the PostgreSQL backend's CPU (from /proc, the server being on this machine), the statements
the driver was sent, transactions, pool checkouts and Redis commands, for drafts and publishes
apart. Counts, not wall-clock figures: they do not move with the machine's load.

    .venv/bin/python bench/request_cost.py [-n 3000] [--hooks] [--multiprocess]
    .venv/bin/python bench/request_cost.py --writes [-n 500] [--database-url postgresql://...]
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    parser.add_argument("--writes", action="store_true", help="the cost of a draft and a publish")
    parser.add_argument("--database-url", help="--writes on PostgreSQL (the database is recreated)")
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
    if args.writes:
        url = args.database_url or url
        token = prepare_writes(url)
    else:
        fact_check_id = prepare(url)
    # The log lines go where a server's would, not into this report.
    sink = open(os.devnull, "w")  # noqa: SIM115
    real_stdout, sys.stdout = sys.stdout, sink
    try:
        if args.writes:
            results = write_costs(url, redis_server, token, args.n if args.n != 3000 else 500)
        else:
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


# --- writes ------------------------------------------------------------------------------------


def prepare_writes(url: str) -> str:
    """A fresh migrated database with one organization; the Authorization header's token."""
    sys.path.insert(0, str(ROOT / "bench"))
    from flask_migrate import upgrade
    from write_bench import fresh_database

    from factcheck import create_app
    from factcheck.core import keys
    from factcheck.core.organizations import create_organization
    from factcheck.storage.db import db

    fresh_database(url)
    app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        organization = create_organization("bench", "Bench", "https://b.example/")
        token = keys.issue(organization.id, "bench", frozenset({"write", "publish"}))
        db.engine.dispose()
    logging.getLogger().handlers.clear()
    return token


class WriteCounts:
    """What one kind of write (draft or publish) cost, added up."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.statements = 0
        self.transactions = 0
        self.checkouts = 0
        self.writes = 0
        self.calls = 0


# Writes whose function calls are counted (after the timed ones).
CALLS_COUNTED = 20


class CallCounter:
    """Python and C function calls made by this thread (sys.setprofile): a count that, unlike
    CPU time, does not move with the machine's load, for comparing two versions of the code."""

    def __init__(self) -> None:
        self.calls = 0

    def __enter__(self) -> "CallCounter":
        def profile(_frame: Any, event: str, _arg: Any) -> None:
            if event in ("call", "c_call"):
                self.calls += 1

        sys.setprofile(profile)
        return self

    def __exit__(self, *_exc: object) -> None:
        sys.setprofile(None)


def backend_cpu(url: str) -> float:
    """CPU seconds the PostgreSQL backends of the database have used (0 on SQLite)."""
    if not url.startswith("postgresql"):
        return 0.0
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
        pids = [row[0] for row in connection.execute(query, (name,))]
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class CommandCounter:
    """Counts the commands the app's Redis clients send (each a round trip; a script's own calls
    run inside Redis and are not), passing every one through. The local copies' watcher
    writes on its connection directly, so its keep-alive PINGs are not counted."""

    def __init__(self) -> None:
        import redis

        self.sent = 0
        original = redis.Redis.execute_command

        def counted(client: Any, *args: Any, **options: Any) -> Any:
            self.sent += 1
            return original(client, *args, **options)

        redis.Redis.execute_command = counted  # type: ignore[method-assign]


def write_costs(url: str, redis_server: Any, token: str, pairs: int) -> list[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    from sqlalchemy import event
    from werkzeug.test import EnvironBuilder
    from write_bench import ARTICLE, draft

    from factcheck import create_app
    from factcheck.storage.db import db

    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": redis_server.url,
            "SITE_URL": "https://factcheck.example",
            "RATE_LIMIT_ENABLED": False,
            "CACHE_REPLAY_INTERVAL": 0,
        }
    )
    auth = {"Authorization": f"Bearer {token}"}
    counter = CommandCounter()

    def post(path: str, headers: dict[str, str], body: object) -> tuple[str, dict[str, str]]:
        builder = EnvironBuilder(
            method="POST",
            path=path,
            headers=headers,
            json=body,
        )
        environ: dict[str, Any] = builder.get_environ()
        builder.close()
        environ["REMOTE_ADDR"] = "192.0.2.7"
        status, answered, content = call(app, environ)
        assert status[:3] in {"200", "201"}, (path, status, content[:300])
        return status, answered

    def path_of(location: str) -> str:
        return urlsplit(location).path

    _, answered = post("/api/v1/articles", auth, ARTICLE)
    article = path_of(answered["Location"])
    counts = {"draft": WriteCounts(), "publish": WriteCounts()}
    current: list[WriteCounts | None] = [None]

    def on_statement(*_args: Any) -> None:
        if current[0] is not None:
            current[0].statements += 1

    def on_begin(*_args: Any) -> None:
        if current[0] is not None:
            current[0].transactions += 1

    def on_checkout(*_args: Any) -> None:
        if current[0] is not None:
            current[0].checkouts += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    event.listen(engine.pool, "checkout", on_checkout)

    def pair(number: int, calls: bool = False) -> None:
        for kind in ("draft", "publish"):
            counted = counts[kind]
            current[0] = None if calls else counted
            started = time.thread_time()
            with CallCounter() if calls else nullcontext() as call_counter:
                if kind == "draft":
                    _, answered = post(f"{article}/fact-checks", auth, draft(number))
                else:
                    headers = {**auth, "If-Match": answered["ETag"]}
                    post(f"{path_of(answered['Location'])}/publish", headers, None)
            if call_counter is not None:
                counted.calls += call_counter.calls
                continue
            counted.cpu += time.thread_time() - started
            counted.writes += 1
            current[0] = None

    for number in range(50):  # warm-up: the first writes fill caches a process fills once
        pair(number)
    for counted in counts.values():
        counted.__init__()  # type: ignore[misc]
    commands = counter.sent
    backend = backend_cpu(url)
    started, wall = time.process_time(), time.perf_counter()
    for number in range(pairs):
        pair(10**6 + number)
    process, wall = time.process_time() - started, time.perf_counter() - wall
    backend = backend_cpu(url) - backend
    commands = counter.sent - commands
    # Then the calls, apart: counting them slows every call down, so not while timing.
    for number in range(CALLS_COUNTED):
        pair(2 * 10**6 + number, calls=True)
    writes = 2 * pairs
    engine_name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    lines = [
        f"{engine_name}: {writes} writes (draft + publish, {pairs} each), per write:",
        f"  process CPU {process / writes * 1e6:.0f} us, database backend CPU"
        f" {backend / writes * 1e6:.0f} us, wall {wall / writes * 1e6:.0f} us"
        f" (one thread, no server), Redis commands {commands / writes:.1f}",
        f"  {'':<8}{'CPU us':>8}{'calls':>8}{'statements':>12}{'transactions':>14}"
        f"{'checkouts':>11}",
    ]
    for kind, counted in counts.items():
        each = max(counted.writes, 1)
        lines.append(
            f"  {kind:<8}{counted.cpu / each * 1e6:>8.0f}{counted.calls / CALLS_COUNTED:>8.0f}"
            f"{counted.statements / each:>12.1f}{counted.transactions / each:>14.1f}"
            f"{counted.checkouts / each:>11.1f}"
        )
    with app.app_context():
        db.engine.dispose()
    return lines


if __name__ == "__main__":
    main()
