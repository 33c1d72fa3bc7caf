"""Exact ranking: every match of claims:search is ranked by BM25, equal to a BM25 computed in
Python from the raw text (bench/bm25_reference.py); pages walk every match to the last; drafts
and retracted fact-checks count in no statistic. On SQLite, and on PostgreSQL with
TEST_DATABASE_URL."""

import random
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.bm25_reference import Reference, analyse
from factcheck.core import search
from factcheck.storage import search_rank

from .checks import published_check
from .conftest import new_organization

SEARCH = "/api/v1/claims:search"
VOCABULARY = (
    "oil gas wages rents prices taxes budget deficit sanctions exports tariffs grain".split()
)
QUERIES = ["oil", "sanctions", "oil gas", "wages rents prices", "budget deficit taxes grain"]


class Corpus:
    def __init__(self) -> None:
        self.reference = Reference(keep_phrases=[("oil", "gas")])
        self.claims: dict[int, str] = {}
        self.etags: dict[int, str] = {}

    def expected(self, query: str, phrases: list[list[str]] | None = None) -> list[str]:
        ranked = self.reference.rank(analyse(query, "en"), phrases or [])
        return [self.claims[fact_check_id] for fact_check_id, _ in ranked]


def random_text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(low, high)))


@pytest.fixture
def corpus(client: FlaskClient, writer: dict[str, str]) -> Corpus:
    """Forty published fact-checks of random words: lengths and frequencies vary, so length
    normalisation and idf both decide the order."""
    rng = random.Random(14)
    found = Corpus()
    for number in range(40):
        texts = {
            "claim": f"{random_text(rng, 1, 5)} claim{number}",
            "quote": f"{random_text(rng, 1, 8)}.",
            "claimant": rng.choice(["Jane Roe", "John Doe", "Oil Council"]),
            "explanation": f"{random_text(rng, 0, 6)}.",
            "headline": random_text(rng, 1, 4),
            "body": random_text(rng, 0, 40),
        }
        check = published_check(
            client,
            writer,
            texts["claim"],
            quote=texts["quote"],
            claimant=texts["claimant"],
            explanation=texts["explanation"],
            headline=texts["headline"],
            body=texts["body"],
        )
        found.reference.add(check["id"], "en", texts)
        found.claims[check["id"]] = texts["claim"]
        found.etags[check["id"]] = check["etag"]
    return found


@pytest.fixture(params=["every-match", "rarest-term", "thresholds"])
def bound(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test three times: scoring every match; taking search_rank's top k even on this
    small corpus (it is otherwise kept for queries with thousands of postings), with a rare
    required term giving the candidates; and with the thresholds alone."""
    if request.param != "every-match":
        monkeypatch.setattr(search_rank, "SMALL", 0)
        monkeypatch.setattr(search_rank, "READ_SHARE", 0.01)
    if request.param == "thresholds":
        monkeypatch.setattr(search_rank, "DRIVER", 0)
    return str(request.param)


def every_page(client: FlaskClient, page_size: int, **params: Any) -> list[str]:
    """All results, following nextPageToken to the end."""
    seen: list[str] = []
    query: dict[str, Any] = {**params, "pageSize": page_size}
    while True:
        response = client.get(SEARCH, query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [claim["text"] for claim in body.get("claims", [])]
        if "nextPageToken" not in body:
            return seen
        query["pageToken"] = body["nextPageToken"]


@pytest.mark.usefixtures("bound")
@pytest.mark.parametrize("query", QUERIES)
def test_every_match_is_ranked_as_bm25_computed_apart(
    client: FlaskClient, corpus: Corpus, query: str
) -> None:
    expected = corpus.expected(query)
    assert len(expected) >= 3
    assert every_page(client, 100, query=query) == expected
    assert every_page(client, 2, query=query) == expected
    top = client.get(SEARCH, query_string={"query": query, "pageSize": 3}).get_json()
    assert [claim["text"] for claim in top["claims"]] == expected[:3]


def test_the_thresholds_leave_out_what_cannot_rank(
    app: Flask, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The top k score fewer fact-checks than match, and still get the top right."""
    monkeypatch.setattr(search_rank, "DRIVER", 0)
    monkeypatch.setattr(search_rank, "READ_SHARE", 0.01)
    for text in ("oil", "oil gas"):
        query = search.parse(text).terms()
        with app.app_context():
            stats = search_rank.statistics(query.scored)
            top = search_rank._TopK(query, stats, list(query.scored), [])
            every = search_rank._Ranking(query, stats, list(query.scored), []).scores(0, 1000)
            assert top.page(0, 3) == every[:3]
            assert 0 < len(top.exact) < len(every)


@pytest.mark.usefixtures("bound")
def test_a_phrase_ranks_its_matches_alike(client: FlaskClient, corpus: Corpus) -> None:
    expected = corpus.expected("oil gas", [["oil", "gas"]])
    assert expected
    assert every_page(client, 100, query='"oil gas"') == expected


@pytest.mark.usefixtures("bound")
def test_pages_and_offsets_reach_the_last_result(client: FlaskClient, corpus: Corpus) -> None:
    expected = corpus.expected("oil")
    assert len(expected) > 10
    assert every_page(client, 3, query="oil") == expected
    for offset in (0, 7, len(expected) - 1):
        page = client.get(SEARCH, query_string={"query": "oil", "offset": offset}).get_json()
        assert [claim["text"] for claim in page["claims"]] == expected[offset : offset + 10]
    past = client.get(SEARCH, query_string={"query": "oil", "offset": len(expected)})
    assert past.get_json() == {}


def test_another_organizations_drafts_change_no_result_or_order(
    app: Flask, client: FlaskClient, corpus: Corpus
) -> None:
    before = {query: every_page(client, 100, query=query) for query in QUERIES}
    rival = new_organization(app, "rival")
    rng = random.Random(12)
    for _ in range(25):
        # Drafts full of the rarer words would raise their document counts, and so lower their
        # idf, if drafts were counted.
        published_check(client, rival, "sanctions grain " + random_text(rng, 1, 3), draft=True)
    after = {query: every_page(client, 100, query=query) for query in QUERIES}
    assert after == before


def test_a_retraction_leaves_the_statistics(
    client: FlaskClient, writer: dict[str, str], corpus: Corpus
) -> None:
    retracted = corpus.expected("sanctions")[0]
    fact_check_id = next(i for i, claim in corpus.claims.items() if claim == retracted)
    response = client.post(
        f"/api/v1/fact-checks/{fact_check_id}/retract",
        json={"note": "Withdrawn."},
        headers={**writer, "If-Match": corpus.etags[fact_check_id]},
    )
    assert response.status_code == 200, response.get_json()
    del corpus.reference.documents[fact_check_id]
    for query in QUERIES:
        assert every_page(client, 100, query=query) == corpus.expected(query)


@pytest.mark.usefixtures("bound")
def test_a_deep_offset_is_ranked_too(
    client: FlaskClient, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page deeper than the top k's budget scores every match instead.
    monkeypatch.setattr(search_rank, "MAX_READ", 5)
    expected = corpus.expected("oil")
    page = client.get(SEARCH, query_string={"query": "oil", "offset": 12, "pageSize": 5})
    assert [claim["text"] for claim in page.get_json()["claims"]] == expected[12:17]
