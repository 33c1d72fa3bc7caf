"""The top k of search_rank (thresholds read per frequency group, candidates scored by key
look-ups) against every match scored in one statement, on a generated corpus whose common words
saturate BM25 as the benchmark's do: every page compared, on SQLite, and on PostgreSQL with
TEST_DATABASE_URL."""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ColumnElement

from factcheck.core import generate, search
from factcheck.storage import search_index, search_rank, search_text
from factcheck.storage.db import db
from factcheck.storage.filters import Filters

from .checks import published_check

PAGES = [(0, 11), (0, 1), (3, 5), (10, 11), (40, 21)]
QUERIES = [
    "inflation",  # the commonest word: in most fact-checks
    "wages",
    "coal",
    "inflation wages",  # two common words, both required
    "prices budget taxes",
    '"inflation wages"',  # a phrase: the pair must be held too
    "inflation -wages",
    "fraud fees",
]


@pytest.fixture
def generated(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    # A budget far above the postings scoring every match reads, so that the top k do the work
    # on this small corpus (test_past_the_budget_every_match_is_scored sets a small one).
    monkeypatch.setattr(search_rank, "READ_SHARE", 0.01)
    with app.app_context():
        generate.fact_checks(1500, seed=14)
        db.session.remove()
    yield app


def both(
    query: search_rank.Terms, conditions: list[ColumnElement[bool]], offset: int, limit: int
) -> tuple[list[tuple[int, int]] | None, list[tuple[int, int]], search_rank._TopK]:
    scored = list(dict.fromkeys(query.scored))
    stats = search_rank.statistics([*scored, *query.pairs, *(t for g in query.excluded for t in g)])
    known = [term for term in scored if term in stats.frequencies]
    top = search_rank._TopK(query, stats, known, conditions)
    found = top.page(offset, limit)
    every = search_rank._Ranking(query, stats, known, conditions).scores(offset, limit)
    return found, every, top


@pytest.mark.parametrize("first_cap", [1, 64])
@pytest.mark.parametrize("driver", [0, 2000])
def test_every_page_is_the_exact_ranking(
    generated: Flask, monkeypatch: pytest.MonkeyPatch, first_cap: int, driver: int
) -> None:
    """Bands cut at a cap of one posting a group (and SQLite's compound selects split small),
    or not; a rare required term as the driver, or thresholds only."""
    monkeypatch.setattr(search_rank, "FIRST_CAP", first_cap)
    if first_cap == 1:
        monkeypatch.setattr(search_rank, "COMPOUND", 7)
    monkeypatch.setattr(search_rank, "DRIVER", driver)
    with generated.app_context():
        for text in QUERIES:
            for offset, limit in PAGES:
                found, every, _ = both(search.parse(text).terms(), [], offset, limit)
                assert found == every, (text, offset, limit)
                assert every or offset, (text, offset, limit)
            db.session.remove()


def test_filters_any_of_and_exclusions_are_exact(generated: Flask) -> None:
    conditions = {
        "English, rated 2": Filters(in_language="en", rating="2").conditions(),
        "German": Filters(in_language="de").conditions(),
        "none": [],
    }
    queries = {
        "inflation": search.parse("inflation").terms(),
        "inflation wages": search.parse("inflation wages").terms(),
        "-prices": search.parse("wages -prices -rents").terms(),
        "any word": search.any_word("inflation wages rose in the budget").terms(),
    }
    with generated.app_context():
        for name, query in queries.items():
            for label, narrowed in conditions.items():
                for offset, limit in PAGES:
                    found, every, _ = both(query, narrowed, offset, limit)
                    assert found == every, (name, label, offset, limit)
                db.session.remove()


def test_a_common_word_reads_few_of_its_postings(
    generated: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of it: "inflation" is held by most fact-checks, and the top 11 read a small
    part of its postings (groups, bands and look-ups together)."""
    monkeypatch.setattr(search_rank, "DRIVER", 0)
    with generated.app_context():
        query = search.parse("inflation").terms()
        found, every, top = both(query, [], 0, 11)
        assert found == every
        held = search_rank.statistics(["inflat"]).frequencies["inflat"][1]
        assert held > 1000
        assert top.read < held / 4


@pytest.mark.parametrize("limit", ["MAX_READ", "READ_SHARE"])
def test_past_the_budget_every_match_is_scored(
    generated: Flask, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """A budget of ten rows, or a tenth of the postings scoring every match reads."""
    monkeypatch.setattr(search_rank, limit, 10)
    monkeypatch.setattr(search_rank, "DRIVER", 0)
    monkeypatch.setattr(search_rank, "SMALL", 0)
    with generated.app_context():
        query = search.parse("inflation wages").terms()
        found, every, _ = both(query, [], 40, 11)
        assert found is None
        assert search_rank.ranked(query, [], 40, 11) == every


@pytest.mark.parametrize("first_cap", [1, 4, 64])
def test_ties_at_the_kth_score_go_to_the_higher_id(
    client: FlaskClient, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch, first_cap: int
) -> None:
    """Every fact-check scores the same: half say "oil" twice and "gas" once, half the other way
    round, so a fact-check read in one term's band only can be bound to exactly the k-th score,
    and it still ranks above when its id is higher. The ranking is then the ids, newest first."""
    monkeypatch.setattr(search_rank, "FIRST_CAP", first_cap)
    monkeypatch.setattr(search_rank, "DRIVER", 0)
    monkeypatch.setattr(search_rank, "READ_SHARE", 0.01)
    rng = random.Random(3)
    for _ in range(30):
        published_check(client, writer, rng.choice(["oil oil gas", "oil gas gas"]))
    with client.application.app_context():
        query = search.parse("oil gas").terms()
        scores = set()
        for offset, limit in [(0, 1), (0, 5), (2, 7), (9, 11), (25, 10)]:
            found, every, _ = both(query, [], offset, limit)
            assert found == every, (offset, limit)
            scores.update(score for _, score in every)
            assert [i for i, _ in every] == sorted((i for i, _ in every), reverse=True)
        assert len(scores) == 1


@pytest.mark.parametrize("region_cap", [2, 40, 4096])
@pytest.mark.parametrize("probe_cost", [1, 4])
def test_regions_joined_looked_up_or_given_up_are_exact(
    generated: Flask, monkeypatch: pytest.MonkeyPatch, region_cap: int, probe_cost: int
) -> None:
    """Every term required: regions joined in the database, a term looked up by key instead
    (a small cap or look-up cost), or the thresholds after every region passed the cap at the
    first depth; each way taken on these queries, and every page still the exact ranking."""
    monkeypatch.setattr(search_rank, "REGION_CAP", region_cap)
    monkeypatch.setattr(search_rank, "PROBE_COST", probe_cost)
    monkeypatch.setattr(search_rank, "DRIVER", 0)
    ways: set[str] = set()
    intersection = search_rank._intersection
    intersect = search_rank._TopK._intersect

    def counted(regions: Any, looked_up: list[int], cap: int | None) -> Any:
        ways.add("looked up" if looked_up else "joined")
        return intersection(regions, looked_up, cap)

    def given_up(self: search_rank._TopK, best: dict[int, int], wanted: int) -> bool | None:
        exact = intersect(self, best, wanted)
        if exact is None:
            ways.add("given up")
        return exact

    monkeypatch.setattr(search_rank, "_intersection", counted)
    monkeypatch.setattr(search_rank._TopK, "_intersect", given_up)
    with generated.app_context():
        for text in ["inflation wages", "prices budget taxes", "fraud fees", "coal wages"]:
            for offset, limit in PAGES:
                found, every, _ = both(search.parse(text).terms(), [], offset, limit)
                assert found == every, (text, offset, limit)
            db.session.remove()
    expected = {"joined", "looked up"} if region_cap > 2 else {"joined", "given up"}
    assert expected <= ways


def test_a_phrase_is_scored_from_its_pairs_postings(
    generated: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pair's postings hold its terms' frequencies: the phrase's candidates need no look-up
    (one statement in all), and a posting whose frequencies did not fit is looked up."""
    monkeypatch.setattr(search_rank, "DRIVER", 2000)
    with generated.app_context():
        query = search.parse('"inflation wages"').terms()
        found, every, top = both(query, [], 0, 11)
        assert found == every and len(every) == 11
        assert top.driver is not None and top.statements == 1
        first, second = search_text.terms("inflation wages", "en")
        too_many = 3 * search_index.PAIR_BASE
        pair = search_index.pair_frequency(too_many, 20)
        assert pair == search_index.UNPACKED
        # Fact-checks of the index alone (ranking reads no other table), short: one too
        # frequent to pack, one as indexed before migration 0015 (the pair's own frequency).
        unpacked_id, earlier_id = 10**6, 10**6 + 1
        search_index.add(
            [
                search_index.Indexed(
                    unpacked_id, {first: too_many, second: 20, f"{first} {second}": pair}, 10
                ),
                search_index.Indexed(
                    earlier_id, {first: 90, second: 90, f"{first} {second}": 9}, 9
                ),
            ]
        )
        found, every, top = both(query, [], 0, 11)
        assert found == every and {unpacked_id, earlier_id} <= {i for i, _ in every}
        assert top.statements > 1
