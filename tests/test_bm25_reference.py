"""bench/bm25_reference.py's streaming reference (a million fact-checks in one pass, only the
asked terms kept) ranks exactly as the reference that holds every document."""

import random

from bench.bm25_reference import Reference, Streamed, analyse

WORDS = "oil gas wages rents prices taxes budget deficit sanctions exports tariffs grain".split()


def test_the_streamed_reference_ranks_as_the_whole_one() -> None:
    rng = random.Random(14)
    queries = ["oil", "gas wages", "prices taxes budget", "grain", "tariffs oil"]
    phrases = [("oil", "gas"), ("tax", "budget")]
    keep = {term for query in queries for term in analyse(query, "en")}
    whole = Reference(keep_phrases=phrases)
    streamed = Streamed(keep=keep, keep_phrases=phrases)
    rated: set[int] = set()
    for fact_check_id in range(1, 300):
        texts = {
            "claim": " ".join(rng.choices(WORDS, k=rng.randint(1, 5))),
            "quote": " ".join(rng.choices(WORDS, k=rng.randint(0, 8))),
            "claimant": rng.choice(["Jane Roe", "Oil Council"]),
            "explanation": " ".join(rng.choices(WORDS, k=rng.randint(0, 6))),
            "headline": " ".join(rng.choices(WORDS, k=rng.randint(1, 4))),
            "body": " ".join(rng.choices(WORDS, k=rng.randint(0, 40))),
        }
        language = rng.choice(["en", "en", "fr", None])
        whole.add(fact_check_id, language, texts)
        streamed.add(fact_check_id, language, texts)
        if rng.random() < 0.3:
            rated.add(fact_check_id)
    for query in queries:
        terms = analyse(query, "en")
        for phrase in ([], [list(phrases[0])], [list(phrases[1])]):
            for allowed in (None, rated):
                expected = whole.rank(terms, phrase, allowed)
                assert streamed.rank(terms, phrase, allowed) == expected
    assert whole.rank(["oil"])  # the corpus matches: the comparison is not of empty lists
