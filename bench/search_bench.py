"""Search and feed at 1,000 / 10,000 / 100,000 fact-checks, on SQLite and PostgreSQL.

Not a test: run it by hand, read the figures, copy them to docs/performance.md.

    .venv/bin/python bench/search_bench.py                       # SQLite, in a temp directory
    .venv/bin/python bench/search_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

Each database is new, loaded with `generate.fact_checks` step by step up to each size, and timed
through the Flask test client (routing, parsing, query, rendering; no network, no Redis). Growth is
printed as ratios to the smallest size, measured in the same run.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from factcheck import create_app  # noqa: E402
from factcheck.core import generate, tokens  # noqa: E402
from factcheck.storage.db import db  # noqa: E402
from factcheck.storage.models import FeedEntry  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
SEARCHES = 300
FEED_READS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose server may create databases")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with database(options.postgres) as url:
        run(url, sizes)


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3"
        return
    import psycopg

    name = f"factcheck_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(postgres).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield make_url(postgres).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def run(url: str, sizes: list[int]) -> None:
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "SITE_URL": "http://bench.test"})
    client = app.test_client()
    rng = random.Random(7)
    print(f"database: {make_url(url).get_backend_name()}")
    header = (
        f"{'size':>8} {'load s':>7} {'search p50':>10} {'p99':>7} {'x p99':>6} {'cpu p99':>7} "
        f"{'2-word p99':>10} {'feed first':>10} {'feed deep':>9} {'x deep':>6} {'match p50':>9}"
    )
    print(header)
    baseline: dict[str, float] = {}
    loaded = 0
    with app.app_context():
        upgrade()
        for size in sizes:
            started = time.perf_counter()
            generate.fact_checks(size - loaded, seed=size)
            if db.engine.dialect.name == "postgresql":
                # Measure the steady state autovacuum reaches, not a table it is still vacuuming
                # (hint bits, visibility map) while the timings run.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                    raw.exec_driver_sql("VACUUM (ANALYZE) fact_checks, articles, feed_entries")
            load_seconds = time.perf_counter() - started
            loaded = size
            db.session.remove()

            one_word = [rng.choice(generate.VOCABULARY) for _ in range(SEARCHES)]
            two_words = [" ".join(rng.sample(generate.VOCABULARY, 2)) for _ in range(SEARCHES)]
            search_1 = timings(lambda q: client.get("/api/v1/claims:search?query=" + q), one_word)
            cpu_1 = list(CPU_MS)
            search_2 = timings(lambda q: client.get("/api/v1/claims:search?query=" + q), two_words)
            first_page = timings(lambda _: client.get("/api/v1/feed?pageSize=100"), [""] * 30)
            # A cursor half-way down the feed, as a mirror catching up would hold.
            half_way = select(FeedEntry.sequence).order_by(FeedEntry.sequence).offset(size // 2)
            middle = tokens.encode_token("f", db.session.scalar(half_way.limit(1)) or 0)
            deep = timings(
                lambda cursor: client.get(f"/api/v1/feed?pageSize=100&since={cursor}"),
                [middle] * FEED_READS,
            )
            sentences = [
                f"{' '.join(rng.sample(generate.VOCABULARY, 2))} {rng.choice(generate.VERBS)}"
                for _ in range(50)
            ]
            match = timings(lambda s: client.get("/api/v1/fact-checks/match?text=" + s), sentences)
            figures = {
                "p50": pct(search_1, 50),
                "p99": pct(search_1, 99),
                "cpu_p99": pct(cpu_1, 99),
                "p99_2": pct(search_2, 99),
                "feed_first": statistics.median(first_page),
                "feed_deep": statistics.median(deep),
                "match": pct(match, 50),
            }
            baseline = baseline or figures
            print(
                f"{size:>8} {load_seconds:>7.1f} {figures['p50']:>8.1f}ms {figures['p99']:>5.1f}ms "
                f"{figures['p99'] / baseline['p99']:>5.1f}x {figures['cpu_p99']:>5.1f}ms "
                f"{figures['p99_2']:>8.1f}ms "
                f"{figures['feed_first']:>8.1f}ms {figures['feed_deep']:>7.1f}ms "
                f"{figures['feed_deep'] / baseline['feed_deep']:>5.1f}x {figures['match']:>7.1f}ms",
                flush=True,
            )
        db.session.remove()
        db.engine.dispose()


def timings(call: Callable[[str], object], inputs: list[str]) -> list[float]:
    """Milliseconds per call, after one warm-up call; CPU milliseconds of this process go to
    CPU_MS, which the other engineers' load on the machine does not inflate (on SQLite it is
    all the work; on PostgreSQL the server's share is not in it)."""
    call(inputs[0])
    result = []
    CPU_MS.clear()
    for item in inputs:
        started, cpu = time.perf_counter(), time.process_time()
        response = call(item)
        result.append((time.perf_counter() - started) * 1000)
        CPU_MS.append((time.process_time() - cpu) * 1000)
        assert getattr(response, "status_code", 200) == 200, response
    return result


CPU_MS: list[float] = []


def pct(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
