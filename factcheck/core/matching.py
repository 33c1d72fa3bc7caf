"""Has this been checked? Published fact-checks whose claim or quote resembles a sentence.

Candidates are the best BM25 matches of any of the sentence's terms; each is scored by trigram
similarity (pg_trgm's definition) of stemmed terms, the sentence's in its language, the claim's
and quote's in the fact-check's, so "wages double" and "wages doubled" are alike in English and
"salaires doublés" and "les salaires ont doublé" in French.
"""

from typing import Any

from factcheck.core import search
from factcheck.storage import search_index, search_rank, search_text
from factcheck.storage.models import FactCheck

# How many full-text candidates to score, and the least score worth showing.
MATCH_CANDIDATES = 50
MIN_MATCH_SCORE = 0.2


def similar(text: str, limit: int, lang: str = search.DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """Published fact-checks whose claim or quote resembles `text`, most alike first."""
    query = search.any_word(text, lang)
    if not query:
        return []
    ranked = search_rank.ranked(query.terms(), [], 0, MATCH_CANDIDATES)
    candidates = search_index.fact_checks([fact_check_id for fact_check_id, _ in ranked])
    wanted = trigrams(" ".join(search_text.terms(text, lang)))
    scored = [(score(wanted, check), check) for check in candidates]
    scored = [pair for pair in scored if pair[0] >= MIN_MATCH_SCORE]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [{"score": round(value, 3), "fact_check": c} for value, c in scored[:limit]]


def score(wanted: frozenset[str], check: FactCheck) -> float:
    """The better of the claim's and the quote's similarity to the sentence's trigrams."""
    lang = search_text.language(check.in_language)
    texts = (check.claim_reviewed, check.quote or "")
    return max(similarity(wanted, trigrams(" ".join(search_text.terms(t, lang)))) for t in texts)


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each lower-cased word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in search_text.WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)
