"""Has this been checked? Published fact-checks whose claim or quote resembles a sentence."""

from typing import Any

from factcheck.core import search
from factcheck.storage import search_index
from factcheck.storage.models import FactCheck

# How many full-text candidates to score, and the least score worth showing.
MATCH_CANDIDATES = 50
MIN_MATCH_SCORE = 0.2


def similar(text: str, limit: int) -> list[dict[str, Any]]:
    """Published fact-checks whose claim or quote resembles `text`, most alike first."""
    query = search.any_word(text)
    if not query:
        return []
    candidates = search_index.search_published(query.match(), 0, MATCH_CANDIDATES)
    wanted = trigrams(text)
    scored = [
        (max(similarity(wanted, trigrams(c.claim_reviewed)), _quote_score(wanted, c)), c)
        for c in candidates
    ]
    scored = [pair for pair in scored if pair[0] >= MIN_MATCH_SCORE]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [{"score": round(score, 3), "fact_check": c} for score, c in scored[:limit]]


def _quote_score(wanted: frozenset[str], check: FactCheck) -> float:
    return similarity(wanted, trigrams(check.quote)) if check.quote else 0.0


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each lower-cased word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in search.WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)
