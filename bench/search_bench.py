"""claims:search at 10,000 / 100,000 (/ 1,000,000) fact-checks, on SQLite and PostgreSQL: p50 and
p99 per query class, and top-10 agreement with an exact BM25 computed apart, in Python.

Not a test: run it by hand, read the figures, copy them to docs/performance.md.

    .venv/bin/python bench/search_bench.py                       # SQLite, in a temp directory
    .venv/bin/python bench/search_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

The PostgreSQL database is factcheck_bench_s, made anew (and dropped after). Each database is
loaded with `generate.fact_checks` step by step up to each size, and timed through the Flask test
client (routing, parsing, query, rendering; no network, no Redis). Classes: single-word (any word
of the English vocabulary), common-word (its ten most frequent), two-word, phrase (two adjacent
words of a generated claim, quoted) and filtered (a common word, inLanguage=en and a rating).
The agreement reads every published fact-check's raw text back and ranks it with
bench/bm25_reference.py: |service top 10 ∩ reference top 10| out of the reference's top 10
(scaled to 10 when fewer match), and whether the order is equal too.
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

from flask_migrate import upgrade
from sqlalchemy import make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bm25_reference import Reference, analyse  # noqa: E402
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
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with database(options.postgres, options.keep) as url:
        run(url, sizes)


@contextmanager
def database(postgres: str | None, keep: str | None) -> Iterator[str]:
    if keep:
        yield f"sqlite:///{keep}"
        return
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3"
        return
    import psycopg

    admin = make_url(postgres).set(drivername="postgresql").render_as_string(False)
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


def run(url: str, sizes: list[int]) -> None:
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "SITE_URL": "http://bench.test"})
    client = app.test_client()
    rng = random.Random(7)
    print(f"database: {make_url(url).get_backend_name()}", flush=True)
    loaded = 0
    with app.app_context():
        upgrade()
        loaded = db.session.scalar(select(FactCheck.id).order_by(FactCheck.id.desc())) or 0
        for size in sizes:
            started = time.perf_counter()
            if size > loaded:
                generate.fact_checks(size - loaded, seed=size)
            if db.engine.dialect.name == "postgresql":
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
            print(f"\n{size} fact-checks (loaded in {load_seconds:.0f} s)", flush=True)
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
    reference = Reference(keep=words, keep_phrases=phrases)
    allowed: dict[str, set[int]] = {}
    statement = (
        select(FactCheck, Article.headline)
        .join(Article, Article.id == FactCheck.article_id)
        .where(FactCheck.status == PUBLISHED)
        .execution_options(yield_per=5000)
    )
    for check, headline in db.session.execute(statement):
        reference.add(
            check.id,
            check.in_language,
            {
                "claim": check.claim_reviewed,
                "quote": check.quote or "",
                "claimant": (check.claim_author or {}).get("name") or "",
                "explanation": check.rating_explanation or "",
                "headline": headline,
                "body": check.review_body or "",
            },
        )
        if check.in_language.split("-")[0] == "en":
            allowed.setdefault(str(check.rating_value), set()).add(check.id)
        db.session.expunge(check)
    db.session.remove()
    found: dict[str, tuple[list[int], list[bool]]] = {}
    for name, queries in asked.items():
        overlaps, orders = [], []
        for q in queries:
            terms = analyse(q["query"].strip('"'), "en")
            phrase = [terms] if q["query"].startswith('"') else []
            only = allowed.get(q["rating"], set()) if "rating" in q else None
            expected = [i for i, _ in reference.rank(terms, phrase, only)[:10]]
            got = service_top10(client, q)
            # Out of the reference's top 10 (fewer when fewer match).
            overlaps.append(10 * len(set(expected) & set(got)) // max(1, len(expected)))
            orders.append(expected == got)
        found[name] = (overlaps, orders)
    return found


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
