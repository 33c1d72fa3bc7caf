"""claims:search at 10,000 / 100,000 (/ 1,000,000) fact-checks, on SQLite and PostgreSQL: p50 and
p99 per query class, and top-10 agreement with an exact BM25 computed apart, in Python.

Not a test: run it by hand, read the figures, copy them to docs/performance.md.

    .venv/bin/python bench/search_bench.py                       # SQLite, in a temp directory
    .venv/bin/python bench/search_bench.py --keep /work/bench-data/search-1m.sqlite3 --sizes 1000000
    .venv/bin/python bench/search_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/search_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test \
        --keep-database factcheck_bench_1m --sizes 1000000

The PostgreSQL database is factcheck_bench_s, made anew (and dropped after), or with
--keep-database that one, created when missing and kept. A database is loaded with
`generate.fact_checks` (only what is missing) up to each size in turn, and timed through the
Flask test client (routing, parsing, query, rendering; no network, no Redis). Classes:
single-word (any word of the English vocabulary), common-word (its ten most frequent), two-word,
phrase (two adjacent words of a generated claim, quoted) and filtered (a common word,
inLanguage=en and a rating).
The agreement reads every published fact-check's raw text back in one streaming pass and ranks
it with bench/bm25_reference.py (Streamed: only the asked terms' postings are kept, so a million
fit): |service top 10 ∩ reference top 10| out of the reference's top 10 (scaled to 10 when fewer
match), and whether the order is equal too. The service runs with a statement timeout of an hour
here (3 s in production): a vacuum or the pass over a million rows takes longer.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bm25_reference import Streamed, analyse  # noqa: E402
from factcheck import create_app  # noqa: E402
from factcheck.core import generate  # noqa: E402
from factcheck.storage.db import db  # noqa: E402
from factcheck.storage.models import PUBLISHED, Article, FactCheck  # noqa: E402

SIZES = (10_000, 100_000)
PER_CLASS = 100
AGREEMENT_QUERIES = 10
BENCH_DATABASE = "factcheck_bench_s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose server may create databases")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--keep", help="SQLite: use (and keep) this file instead of a temp one")
    parser.add_argument(
        "--keep-database", help="PostgreSQL: use (and keep) this database, created when missing"
    )
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with database(options.postgres, options.keep, options.keep_database) as url:
        run(url, sizes)


@contextmanager
def database(postgres: str | None, keep: str | None, keep_database: str | None) -> Iterator[str]:
    if keep:
        yield f"sqlite:///{keep}"
        return
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3"
        return
    import psycopg

    admin = make_url(postgres).set(drivername="postgresql").render_as_string(False)
    if keep_database:
        with psycopg.connect(admin, autocommit=True) as connection:
            held = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (keep_database,)
            ).fetchone()
            if held is None:
                connection.execute(f'CREATE DATABASE "{keep_database}"')  # type: ignore[arg-type]
        yield make_url(postgres).set(database=keep_database).render_as_string(False)
        return
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')  # type: ignore[arg-type]
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')  # type: ignore[arg-type]
    try:
        yield make_url(postgres).set(database=BENCH_DATABASE).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')  # type: ignore[arg-type]


def query_classes(rng: random.Random) -> dict[str, list[dict[str, str]]]:
    vocabulary = generate.VOCABULARY
    common = vocabulary[:10]
    claims = [
        f"{' '.join(rng.choices(vocabulary[:60], k=2))} {rng.choice(generate.VERBS)}"
        for _ in range(PER_CLASS)
    ]
    return {
        "single-word": [{"query": rng.choice(vocabulary)} for _ in range(PER_CLASS)],
        "common-word": [{"query": rng.choice(common)} for _ in range(PER_CLASS)],
        "two-word": [{"query": " ".join(rng.sample(vocabulary[:80], 2))} for _ in range(PER_CLASS)],
        "phrase": [{"query": f'"{" ".join(claim.split()[1:3])}"'} for claim in claims],
        "filtered": [
            {"query": rng.choice(common), "inLanguage": "en", "rating": rng.choice("12345")}
            for _ in range(PER_CLASS)
        ],
    }


def bench_app(url: str) -> Flask:
    return create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "SITE_URL": "http://bench.test",
            "DATABASE_STATEMENT_TIMEOUT": 3600.0,
            # The bench asks as fast as it can, from one address.
            "RATE_LIMIT_ENABLED": False,
        }
    )


def run(url: str, sizes: list[int]) -> None:
    app = bench_app(url)
    client = app.test_client()
    rng = random.Random(7)
    print(f"database: {make_url(url).get_backend_name()}", flush=True)
    loaded = 0
    with app.app_context():
        upgrade()
        loaded = published()
        for size in sizes:
            started = time.perf_counter()
            added = max(0, size - loaded)
            if added:
                generate.fact_checks(added, seed=size)
            if added and db.engine.dialect.name == "postgresql":
                # The steady state autovacuum reaches, not tables it is still vacuuming.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                    raw.exec_driver_sql(
                        "VACUUM (ANALYZE) fact_checks, search_postings, search_terms,"
                        " search_documents"
                    )
            load_seconds = time.perf_counter() - started
            loaded = max(size, loaded)
            db.session.remove()
            classes = query_classes(rng)
            held = published()
            print(f"\n{held} fact-checks ({added} loaded now, in {load_seconds:.0f} s)", flush=True)
            print(
                f"{'class':>12} {'p50 ms':>7} {'p99 ms':>7} {'top-10 agreement (min, median)':>31}"
            )
            agreement = top10_agreement(client, classes)
            for name, queries in classes.items():
                times = timings(
                    lambda q: client.get("/api/v1/claims:search?" + urlencode(q)), queries
                )
                overlap, same_order = agreement[name]
                print(
                    f"{name:>12} {pct(times, 50):>7.1f} {pct(times, 99):>7.1f} "
                    f"{min(overlap):>12}/10, {statistics.median(overlap):>4}/10"
                    f"  order equal {sum(same_order)}/{len(same_order)}",
                    flush=True,
                )
        db.session.remove()
        db.engine.dispose()


def top10_agreement(
    client: Any, classes: dict[str, list[dict[str, str]]]
) -> dict[str, tuple[list[int], list[bool]]]:
    """For the first AGREEMENT_QUERIES of each class: the service's top 10 against the
    reference's, computed from every published fact-check's raw text read back."""
    asked = {name: queries[:AGREEMENT_QUERIES] for name, queries in classes.items()}
    words: set[str] = set()
    phrases: list[tuple[str, ...]] = []
    for queries in asked.values():
        for q in queries:
            terms = analyse(q["query"].strip('"'), "en")
            words.update(terms)
            if q["query"].startswith('"'):
                phrases.append(tuple(terms))
    started = time.perf_counter()
    reference = Streamed(keep=words, keep_phrases=phrases)
    allowed: dict[str, set[int]] = {}
    statement = (
        select(
            FactCheck.id,
            FactCheck.in_language,
            FactCheck.rating_value,
            FactCheck.claim_reviewed,
            FactCheck.quote,
            FactCheck.claim_author,
            FactCheck.rating_explanation,
            FactCheck.review_body,
            Article.headline,
        )
        .join(Article, Article.id == FactCheck.article_id)
        .where(FactCheck.status == PUBLISHED)
        .order_by(FactCheck.id)
    )
    # One pass, a server-side cursor on PostgreSQL: never every row in memory at once.
    with db.engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=5000).execute(statement)
        for row in rows:
            reference.add(
                row.id,
                row.in_language,
                {
                    "claim": row.claim_reviewed,
                    "quote": row.quote or "",
                    "claimant": (row.claim_author or {}).get("name") or "",
                    "explanation": row.rating_explanation or "",
                    "headline": row.headline,
                    "body": row.review_body or "",
                },
            )
            if row.in_language.split("-")[0] == "en":
                allowed.setdefault(str(row.rating_value), set()).add(row.id)
    db.session.remove()
    read = time.perf_counter() - started
    found: dict[str, tuple[list[int], list[bool]]] = {}
    ranking = 0.0
    for name, queries in asked.items():
        overlaps, orders = [], []
        for q in queries:
            terms = analyse(q["query"].strip('"'), "en")
            phrase = [terms] if q["query"].startswith('"') else []
            only = allowed.get(q["rating"], set()) if "rating" in q else None
            ranked_at = time.perf_counter()
            expected = [i for i, _ in reference.rank(terms, phrase, only)[:10]]
            ranking += time.perf_counter() - ranked_at
            got = service_top10(client, q)
            # Out of the reference's top 10 (fewer when fewer match).
            overlaps.append(10 * len(set(expected) & set(got)) // max(1, len(expected)))
            orders.append(expected == got)
        found[name] = (overlaps, orders)
    print(
        f"reference: {reference.count} fact-checks read and analysed in {read:.0f} s,"
        f" {sum(len(ids) for ids, _, _ in reference.postings.values())} postings of"
        f" {len(reference.postings)} terms kept; {ranking:.1f} s ranking"
        f" {sum(len(q) for q in asked.values())} queries",
        flush=True,
    )
    return found


def published() -> int:
    return db.session.scalar(select(func.count()).where(FactCheck.status == PUBLISHED)) or 0


def service_top10(client: Any, query: dict[str, str]) -> list[int]:
    body = client.get("/api/v1/claims:search?" + urlencode({**query, "pageSize": 10})).get_json()
    # The review URL ends in the generated fact-check's page, named by its index, not its id:
    # read the ids from the database by URL instead.
    urls = [claim["claimReview"][0]["url"] for claim in body.get("claims", [])]
    rows = db.session.execute(select(FactCheck.url, FactCheck.id).where(FactCheck.url.in_(urls)))
    ids = {url: fact_check_id for url, fact_check_id in rows}
    db.session.remove()
    return [ids[u] for u in urls]


def timings(call: Callable[[dict[str, str]], object], inputs: list[dict[str, str]]) -> list[float]:
    """Milliseconds per call, after one warm-up call."""
    call(inputs[0])
    result = []
    for item in inputs:
        started = time.perf_counter()
        response = call(item)
        result.append((time.perf_counter() - started) * 1000)
        assert getattr(response, "status_code", 200) == 200, response
    return result


def pct(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
