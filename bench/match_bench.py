"""/api/v1/fact-checks/match on labelled paraphrases (bench/paraphrases.json): precision@1 and
recall@5, per language and overall, on SQLite or PostgreSQL.

    .venv/bin/python bench/match_bench.py [--noise 2000] [--postgres postgresql://...]

A new database gets the seed (13 fact-checks), the bench's written claims (published through
the API) and `--noise` generated fact-checks as distractors; then each paraphrase is sent with
its languageCode, and its own claim should come first (precision@1) or in the first five
(recall@5).
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_bench import database  # noqa: E402
from factcheck import create_app  # noqa: E402
from factcheck.core import generate, keys, seed  # noqa: E402
from factcheck.core.organizations import create_organization  # noqa: E402
from factcheck.storage.db import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAIRS = Path(__file__).with_name("paraphrases.json")
RATING = {"ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "False"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL whose server may create databases")
    parser.add_argument("--noise", type=int, default=2000, help="generated distractors")
    parser.add_argument(
        "--read-as", help="send this languageCode with every paraphrase (en, or xx for plain)"
    )
    options = parser.parse_args()
    with database(options.postgres, None) as url:
        run(url, options.noise, options.read_as)


def run(url: str, noise: int, read_as: str | None = None) -> None:
    from flask_migrate import upgrade

    settings = {"DATABASE_URL": url, "REDIS_URL": "", "SITE_URL": "http://bench.test"}
    app = create_app({**settings, "RATE_LIMIT_ENABLED": False})
    client = app.test_client()
    pairs = json.loads(PAIRS.read_text())
    with app.app_context():
        upgrade()
        list(seed.load_directory(ROOT / "seeds"))
        generate.fact_checks(noise, seed=3)
        owner = create_organization("bench", "Bench Checks", "https://bench.example.org/")
        token = keys.issue(owner.id, "bench", frozenset({"write", "publish"}))
        db.session.remove()
    auth = {"Authorization": f"Bearer {token}"}
    targets: list[tuple[dict[str, str], int]] = []
    for number, pair in enumerate(pairs["written"]):
        targets.append((pair, publish(client, auth, number, pair)))
    for pair in pairs["seed"]:
        found = client.get("/api/v1/fact-checks", query_string={"pageSize": 100}).get_json()
        ids = [c["id"] for c in found if c["claimReviewed"] == pair["claim"]]
        assert ids, pair["claim"]
        targets.append((pair, ids[0]))
    by_language: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    for pair, target in targets:
        code = read_as or pair["language"]
        query = {"text": pair["paraphrase"], "languageCode": code, "limit": 5}
        matches = client.get("/api/v1/fact-checks/match", query_string=query).get_json()
        ids = [m["factCheck"]["id"] for m in matches]
        by_language[pair["language"]].append((ids[:1] == [target], target in ids))
        if ids[:1] != [target]:
            misses.append((pair["language"], pair["paraphrase"], target in ids))
    print(f"database: {url.split(':')[0]}")
    print(f"pairs: {len(targets)}, distractors: {noise} generated + the others")
    print(f"paraphrases read as: {read_as or 'their own language'}")
    print(f"{'language':>8} {'pairs':>5} {'precision@1':>11} {'recall@5':>8}")
    every = [result for results in by_language.values() for result in results]
    for lang, results in sorted(by_language.items()) + [("all", every)]:
        p1 = sum(first for first, _ in results) / len(results)
        r5 = sum(top5 for _, top5 in results) / len(results)
        print(f"{lang:>8} {len(results):>5} {p1:>11.2f} {r5:>8.2f}")
    for lang, paraphrase, in_top5 in misses:
        print(f"  miss at 1 ({lang}, {'in' if in_top5 else 'not in'} top 5): {paraphrase}")


def publish(client: Any, auth: dict[str, str], number: int, pair: dict[str, str]) -> int:
    """The claim as a published fact-check of an article of its own; its id."""
    article = client.post(
        "/api/v1/articles",
        headers=auth,
        json={
            "url": f"https://news.example.com/bench/{number}",
            "headline": f"Story {number}",
            "publisher": {"name": "Example News", "url": "https://news.example.com/"},
            "inLanguage": pair["language"],
        },
    )
    assert article.status_code == 201, article.get_json()
    article = article.get_json()
    check = client.post(
        f"/api/v1/articles/{article['id']}/fact-checks",
        headers=auth,
        json={
            "claimReviewed": pair["claim"],
            "claimAuthor": {"name": "Someone", "type": "Person"},
            "claimDate": "2024-05-01",
            "rating": RATING,
            "evidence": [{"url": "https://stats.example.gov/", "relation": "context"}],
            "url": f"https://bench.example.org/checks/{number}",
            "inLanguage": pair["language"],
        },
    )
    assert check.status_code == 201, check.get_json()
    published = client.post(
        f"/api/v1/fact-checks/{check.get_json()['id']}/publish",
        headers={**auth, "If-Match": check.headers["ETag"]},
    )
    assert published.status_code == 200, published.get_json()
    return int(check.get_json()["id"])


if __name__ == "__main__":
    main()
