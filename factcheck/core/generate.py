"""Synthetic published fact-checks in bulk, for benchmarks and load tests (`flask generate`).

Words are drawn with Zipf-like weights from a fixed vocabulary, so common words match many
fact-checks and rare ones few, as in real text. Rows go through store.bulk_insert_published,
which bypasses the per-item use cases (and its revisions) on purpose: this is test data.
"""

import random
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from factcheck.core.organizations import create_organization
from factcheck.storage import store
from factcheck.storage.models import DEFAULT_RATING_SCALE, Organization, utcnow

VOCABULARY = """
inflation wages rents prices taxes budget deficit debt growth unemployment jobs exports imports
sanctions tariffs oil gas energy electricity coal wind solar nuclear climate emissions carbon
vaccine virus hospital doctors nurses patients waiting cancer health insurance pension benefits
school teachers students university fees housing mortgage interest bank currency euro dollar
crime police prison courts judges immigration border asylum refugees visa citizens voters
election ballot fraud turnout parliament minister president senator mayor council governor
army navy missile drone war ceasefire treaty alliance embassy summit trade deal agreement
farmers wheat grain fertiliser drought flood wildfire storm heatwave water pollution plastic
transport railway bridge airport motorway traffic fuel diesel petrol electric cars batteries
internet broadband privacy censorship media newspaper television journalists broadcaster
poverty hunger charity donations aid loans grants subsidies investment factory steel mining
population birth rate deaths life expectancy obesity smoking alcohol drugs addiction
""".split()
VERBS = (
    "doubled halved rose fell tripled collapsed soared dropped stalled recovered vanished "
    "increased decreased caused prevented funded blocked banned approved cut raised"
).split()
NAMES = (
    "Alex Morgan|Sam Carter|Jordan Lee|Taylor Brooks|Casey Fields|Riley Shaw|Jamie Hart|"
    "Drew Ellis|Robin Vale|Morgan Price|Chris Dale|Pat Quinn"
).split("|")
BATCH = 5_000


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is not None:
        return found
    return create_organization(
        slug, "Synthetic Checks", f"https://{slug}.example.org/", rating_scale=DEFAULT_RATING_SCALE
    )


def fact_checks(count: int, slug: str = "synthetic", seed: int = 1) -> int:
    """Add `count` published fact-checks (five per article) to organization `slug`."""
    owner = organization(slug)
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    run = secrets.token_hex(4)
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        articles, checks = _batch(rng, weights, owner, run, made, size)
        store.bulk_insert_published(articles, checks)
        made += size
    return made


def _batch(
    rng: random.Random,
    weights: list[float],
    owner: Organization,
    run: str,
    start: int,
    size: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def words(number: int) -> str:
        return " ".join(rng.choices(VOCABULARY, weights, k=number))

    now = utcnow()
    articles: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for index in range(start, start + size):
        if index % 5 == 0:
            url = f"https://{owner.slug}.example.org/articles/{run}-{index // 5}"
            articles.append(
                {
                    "organization_id": owner.id,
                    "url": url,
                    "url_key": url,
                    "headline": f"{words(3).capitalize()} {rng.choice(VERBS)} {words(3)}",
                    "in_language": "en",
                    "version": 1,
                    "date_created": now,
                    "date_modified": now,
                }
            )
        subject, verb = words(2).capitalize(), rng.choice(VERBS)
        claim = f"{subject} {verb} in {rng.randint(1990, 2025)}"
        value = rng.randint(1, 5)
        published = now - timedelta(minutes=rng.randint(0, 500_000))
        page = f"https://{owner.slug}.example.org/checks/{run}-{index}"
        checks.append(
            {
                "organization_id": owner.id,
                "article_index": len(articles) - 1,
                "status": "published",
                "version": 1,
                "claim_reviewed": claim,
                "quote": f"{subject} {verb}, {words(10)}.",
                "claim_author": {"name": rng.choice(NAMES), "kind": "Person"},
                "claim_date": published.date(),
                "claim_appearances": [],
                "rating_value": value,
                "best_rating": 5,
                "worst_rating": 1,
                "alternate_name": DEFAULT_RATING_SCALE["labels"][value - 1]["alternateName"],
                "rating_explanation": f"The {words(1)} figures show {words(8)}.",
                "review_body": " ".join(_sentences(words, 3)),
                "evidence": [{"url": "https://stats.example.gov/", "relation": "context"}],
                "url": page,
                "url_key": page,
                "in_language": "en",
                "date_created": published,
                "date_modified": published,
                "date_published": published,
            }
        )
    return articles, checks


def _sentences(words: Any, count: int) -> Iterator[str]:
    for _ in range(count):
        yield words(12).capitalize() + "."
